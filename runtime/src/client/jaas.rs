//! `sasl.jaas.config` as the Java clients read it: one login module entry,
//! `<class> <flag> key="value" key2=value2;`, whose options carry the SASL credentials.

use std::collections::BTreeMap;

/// One parsed JAAS login module entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JaasEntry {
    /// The login module's class, e.g. `org.apache.kafka.common.security.scram.ScramLoginModule`.
    pub class: String,
    /// Its options, quotes and escapes removed.
    pub options: BTreeMap<String, String>,
}

impl JaasEntry {
    /// The class's simple name (`ScramLoginModule`).
    pub(crate) fn simple_class(&self) -> &str {
        self.class.rsplit('.').next().unwrap_or(&self.class)
    }
}

/// Parses a `sasl.jaas.config` value (exactly one entry, as Kafka requires).
pub(crate) fn parse(text: &str) -> Result<JaasEntry, String> {
    let mut tokens = Tokens { rest: text.trim() };
    let class = tokens.word(';').ok_or("a login module class is missing")?;
    let flag = tokens
        .word(';')
        .ok_or("the control flag (required, requisite, sufficient or optional) is missing")?;
    if !["required", "requisite", "sufficient", "optional"].contains(&flag.to_ascii_lowercase().as_str()) {
        return Err(format!(
            "'{flag}' is not a control flag (required, requisite, sufficient or optional)"
        ));
    }
    let mut options = BTreeMap::new();
    loop {
        tokens.skip_space();
        if tokens.rest.starts_with(';') {
            tokens.rest = tokens.rest[1..].trim();
            if !tokens.rest.is_empty() {
                return Err("only one login module entry is allowed".into());
            }
            break;
        }
        if tokens.rest.is_empty() {
            return Err("the entry must end with ';'".into());
        }
        let key = tokens
            .word('=')
            .ok_or_else(|| format!("an option name is missing before '{}'", tokens.rest))?;
        if !tokens.rest.starts_with('=') {
            return Err(format!("option {key} has no value"));
        }
        tokens.rest = &tokens.rest[1..];
        let value = tokens.value().map_err(|e| format!("option {key}: {e}"))?;
        options.insert(key, value);
    }
    Ok(JaasEntry { class, options })
}

struct Tokens<'a> {
    rest: &'a str,
}

impl Tokens<'_> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    /// The next run of characters up to white space, `;` or `stop`; the white space after it
    /// is skipped.
    fn word(&mut self, stop: char) -> Option<String> {
        self.skip_space();
        let end = self
            .rest
            .find(|c: char| c.is_whitespace() || c == stop || c == ';')
            .unwrap_or(self.rest.len());
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest.trim_start();
        (!word.is_empty()).then(|| word.to_string())
    }

    fn value(&mut self) -> Result<String, String> {
        self.skip_space();
        if let Some(quoted) = self.rest.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, escaped)) => value.push(escaped),
                        None => break,
                    },
                    '"' => {
                        self.rest = &quoted[i + 1..];
                        return Ok(value);
                    }
                    c => value.push(c),
                }
            }
            Err("a quoted value is not closed".into())
        } else {
            self.word(';').ok_or_else(|| "the value is missing".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scram_entry_as_strimzi_writes_it() {
        let entry = parse(
            "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"my-user\" password=\"p@ss \\\"w\\\" ;x\";",
        )
        .unwrap();
        assert_eq!(entry.simple_class(), "ScramLoginModule");
        assert_eq!(entry.options["username"], "my-user");
        assert_eq!(entry.options["password"], "p@ss \"w\" ;x");
    }

    #[test]
    fn bare_values_and_spacing() {
        let entry = parse(
            "org.apache.kafka.common.security.plain.PlainLoginModule  required\n  username = alice password=secret ;",
        )
        .unwrap();
        assert_eq!(entry.options["username"], "alice");
        assert_eq!(entry.options["password"], "secret");
        let entry = parse("a.OAuthBearerLoginModule required;").unwrap();
        assert!(entry.options.is_empty());
    }

    #[test]
    fn malformed_entries_are_refused() {
        assert!(parse("").unwrap_err().contains("class"));
        assert!(parse("X required username=\"a\"").unwrap_err().contains("';'"));
        assert!(parse("X maybe;").unwrap_err().contains("control flag"));
        assert!(parse("X required username=\"a;").unwrap_err().contains("not closed"));
        assert!(parse("X required a=b; Y required;").unwrap_err().contains("only one"));
    }
}
