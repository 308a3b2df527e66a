//! `field.syntax.version` (KIP-821): how a transformation's field setting names a field.
//! `V1` (the default) names a field at the root of the struct or map; `V2` a nested one in
//! dotted notation, backtick pairs wrapping a name that holds dots (`` `foo.bar`.baz ``), a
//! backslash before a backtick keeping it in the name. Parsed as Apache's `SingleFieldPath`.

use super::support::with_default;
use crate::config::{ConfigKey, ConfigType, Importance, Key};
use crate::converter::DataError;
use crate::data::{Field, Schema, Struct, Value};

/// How field paths are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum FieldSyntaxVersion {
    /// A field at the root only.
    #[default]
    V1,
    /// Dotted paths to nested fields.
    V2,
}

impl FieldSyntaxVersion {
    /// Apache's names, in any case.
    fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_uppercase().as_str() {
            "V1" => Some(FieldSyntaxVersion::V1),
            "V2" => Some(FieldSyntaxVersion::V2),
            _ => None,
        }
    }
}

crate::choice_key_value!(FieldSyntaxVersion);

/// `field.syntax.version`.
pub(crate) const FIELD_SYNTAX_VERSION: Key<FieldSyntaxVersion> = Key::new(
    ConfigKey::optional(
        "field.syntax.version",
        ConfigType::String,
        "V1",
        "Defines the version of the syntax to access fields: V1 names a field at the root of the \
         struct or map, V2 a nested one in dotted notation, with backtick pairs around names that \
         contain dots (\"`foo.bar`.baz\" is the field baz of the field named foo.bar).",
    )
    .one_of(&["V1", "V2"])
    .importance(Importance::High),
);

/// The steps from the root of a struct or map to one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldPath {
    /// The names of the structs or maps on the way, outermost first.
    outer: Vec<String>,
    /// The field's name in the innermost.
    last: String,
}

/// What nested access calls itself in Apache's errors.
const NESTED: &str = "nested field access";

impl FieldPath {
    /// `text` read under `version`; a backtick left open is an error with Apache's message.
    pub(crate) fn parse(text: &str, version: FieldSyntaxVersion) -> Result<Self, String> {
        let mut outer = match version {
            FieldSyntaxVersion::V1 => vec![text.to_string()],
            FieldSyntaxVersion::V2 => dotted_steps(text)?,
        };
        // An empty text has no step: it names the field of no name, as under V1 (Apache's
        // fails at the first record instead).
        let last = outer.pop().unwrap_or_default();
        Ok(FieldPath { outer, last })
    }

    /// The field the path names in `schema` (a struct schema), if every step is there.
    pub(crate) fn field_in<'a>(&self, schema: &'a Schema) -> Option<&'a Field> {
        let mut current = schema;
        for step in &self.outer {
            current = &current.field(step)?.schema;
        }
        current.field(&self.last)
    }

    /// The value the path names in `root`: null when a step is missing or null, the last
    /// field's default for a null when `defaults`, an error when a step on the way holds
    /// something other than a struct.
    pub(crate) fn struct_value(&self, root: &Struct, defaults: bool) -> Result<Value, DataError> {
        let mut current = root;
        for step in &self.outer {
            let Some(field) = current.schema().field(step) else {
                return Ok(Value::Null);
            };
            // Connect's `Struct.get`: a null on the way is its field's default.
            match with_default(field, current.get(step).unwrap_or(&Value::Null), true) {
                Value::Struct(inner) => current = inner,
                Value::Null => return Ok(Value::Null),
                other => {
                    return Err(DataError::new(format!(
                        "Only Struct objects supported for [{NESTED}], found: {}",
                        other.kind()
                    )))
                }
            }
        }
        Ok(match current.schema().field(&self.last) {
            Some(field) => with_default(field, current.get(&self.last).unwrap_or(&Value::Null), defaults).clone(),
            None => Value::Null,
        })
    }

    /// The value the path names in the schemaless map `root`: null when a step is missing or
    /// null, an error when a step on the way holds something other than a map.
    pub(crate) fn map_value(&self, root: &Value) -> Result<Value, DataError> {
        let mut current = root;
        for step in &self.outer {
            match current.map_get(step) {
                Some(inner @ Value::Map(_)) => current = inner,
                None | Some(Value::Null) => return Ok(Value::Null),
                Some(other) => {
                    return Err(DataError::new(format!(
                        "Only Map objects supported in absence of schema for [{NESTED}], found: {}",
                        other.kind()
                    )))
                }
            }
        }
        Ok(current.map_get(&self.last).cloned().unwrap_or(Value::Null))
    }
}

/// The steps of a `V2` path, as Apache's `SingleFieldPath` splits it: on dots outside backtick
/// pairs; a backtick pair ends at a backtick followed by a dot or at the end of the text; a
/// backtick inside a pair followed by a dot and escaped by a backslash stays in the name; a
/// trailing dot adds an empty last step.
fn dotted_steps(path: &str) -> Result<Vec<String>, String> {
    let bytes = path.as_bytes();
    let unclosed = |at: usize| {
        format!(
            "Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at position {at} to escape it"
        )
    };
    let mut steps = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'`' {
            match path[at..].find('.') {
                Some(dot) => {
                    steps.push(path[at..at + dot].to_string());
                    at += dot + 1;
                }
                None => {
                    steps.push(path[at..].to_string());
                    break;
                }
            }
            continue;
        }
        let opening = at;
        let mut field = String::new();
        let mut start = at + 1;
        let mut search = start;
        loop {
            let close = search + path[search..].find('`').ok_or_else(|| unclosed(opening))?;
            let escaped = bytes[close - 1] == b'\\';
            if close + 1 >= bytes.len() {
                if escaped {
                    return Err(unclosed(opening));
                }
                field.push_str(&path[start..close]);
                steps.push(field);
                at = close + 1;
                break;
            }
            if bytes[close + 1] != b'.' {
                search = close + 1;
                continue;
            }
            if escaped {
                field.push_str(&path[start..close - 1]);
                field.push('`');
                start = close + 1;
                search = start;
                continue;
            }
            field.push_str(&path[start..close]);
            steps.push(field);
            at = close + 2;
            break;
        }
    }
    if path.ends_with('.') {
        steps.push(String::new());
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps_of(text: &str, version: FieldSyntaxVersion) -> Vec<String> {
        let path = FieldPath::parse(text, version).unwrap();
        path.outer.into_iter().chain([path.last]).collect()
    }

    fn steps(text: &str) -> Vec<String> {
        steps_of(text, FieldSyntaxVersion::V2)
    }

    /// The cases of Apache's `SingleFieldPathTest`, read from its behaviour.
    #[test]
    fn dotted_paths_split_as_apache_splits_them() {
        assert_eq!(steps("foo"), ["foo"]);
        assert_eq!(steps("foo.bar.baz"), ["foo", "bar", "baz"]);
        assert_eq!(steps("`foo.bar`.baz"), ["foo.bar", "baz"]);
        assert_eq!(steps("foo.`bar.baz`"), ["foo", "bar.baz"]);
        assert_eq!(steps("`foo`bar`.baz"), ["foo`bar", "baz"]);
        assert_eq!(steps("`foo\\`.bar`.baz"), ["foo`.bar", "baz"]);
        assert_eq!(steps("foo."), ["foo", ""]);
        assert_eq!(steps(".foo"), ["", "foo"]);
        assert_eq!(steps("foo..bar"), ["foo", "", "bar"]);
        assert_eq!(steps(""), [""]);
        assert_eq!(steps_of("foo.bar", FieldSyntaxVersion::V1), ["foo.bar"]);
        assert_eq!(
            FieldPath::parse("`foo.bar", FieldSyntaxVersion::V2).unwrap_err(),
            "Incomplete backtick pair in path: [`foo.bar], consider adding a backslash before backtick at position 0 to escape it"
        );
        assert!(FieldPath::parse("foo.`bar\\`", FieldSyntaxVersion::V2).is_err());
    }

    #[test]
    fn nested_values_are_found_in_structs_and_maps() {
        use crate::data::{SchemaBuilder, SchemaType};
        let inner = SchemaBuilder::new(SchemaType::Struct)
            .field("a.b", Schema::optional_string())
            .build();
        let schema = SchemaBuilder::new(SchemaType::Struct)
            .field("outer", inner.clone())
            .field("text", Schema::optional_string())
            .build();
        let mut nested = Struct::new(inner);
        nested.put("a.b", Value::String("deep".into()));
        let mut root = Struct::new(schema.clone());
        root.put("outer", Value::Struct(nested));
        root.put("text", Value::String("flat".into()));

        let path = FieldPath::parse("outer.`a.b`", FieldSyntaxVersion::V2).unwrap();
        assert_eq!(path.field_in(&schema).map(|f| f.name.as_str()), Some("a.b"));
        assert_eq!(path.struct_value(&root, true).unwrap(), Value::String("deep".into()));
        let missing = FieldPath::parse("outer.c", FieldSyntaxVersion::V2).unwrap();
        assert!(missing.field_in(&schema).is_none());
        assert_eq!(missing.struct_value(&root, true).unwrap(), Value::Null);
        let through_text = FieldPath::parse("text.x", FieldSyntaxVersion::V2).unwrap();
        assert_eq!(
            through_text.struct_value(&root, true).unwrap_err().to_string(),
            "Only Struct objects supported for [nested field access], found: string"
        );

        let map = Value::Map(vec![(
            Value::String("outer".into()),
            Value::Map(vec![(Value::String("a.b".into()), Value::Int32(7))]),
        )]);
        assert_eq!(path.map_value(&map).unwrap(), Value::Int32(7));
        assert_eq!(missing.map_value(&map).unwrap(), Value::Null);
        let through_number = FieldPath::parse("outer.`a.b`.c", FieldSyntaxVersion::V2).unwrap();
        assert!(through_number
            .map_value(&map)
            .unwrap_err()
            .to_string()
            .starts_with("Only Map objects supported in absence of schema for [nested field access]"));
    }
}
