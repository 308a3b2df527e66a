//! PostgreSQL's geometric types as Debezium 3.7 writes them: POINT as
//! `io.debezium.data.geometry.Point` (x, y and their WKB), LINE as `...Line` (a, b, c), CIRCLE
//! as `...Circle` (a center point and a radius), and LSEG, BOX, POLYGON and PATH as
//! `...Geometry` (version 2): their shape's WKB (a line string for LSEG and PATH, a polygon of
//! one closed ring for BOX and POLYGON) with the PostgreSQL type in map `extensions` (and
//! whether a path is closed).

use std::sync::Arc;

use tributary_runtime::data::{Schema, SchemaBuilder, SchemaType, Struct, Value};

const POINT: u32 = 600;
const LSEG: u32 = 601;
const PATH: u32 = 602;
const BOX: u32 = 603;
const POLYGON: u32 = 604;
const LINE: u32 = 628;
const CIRCLE: u32 = 718;

/// WKB's geometry types.
const WKB_POINT: u32 = 1;
const WKB_LINE_STRING: u32 = 2;
const WKB_POLYGON: u32 = 3;

fn point_schema() -> SchemaBuilder {
    SchemaBuilder::structure()
        .name("io.debezium.data.geometry.Point")
        .version(1)
        .doc("Geometry (POINT)")
        .field("x", Schema::of(SchemaType::Float64))
        .field("y", Schema::of(SchemaType::Float64))
        .field("wkb", Schema::optional_bytes())
        .field("srid", Schema::optional_of(SchemaType::Int32))
}

/// The schema of a column of geometric type `type_oid`; `None` for another type.
pub(super) fn schema(type_oid: u32) -> Option<SchemaBuilder> {
    let double = || Schema::of(SchemaType::Float64);
    Some(match type_oid {
        POINT => point_schema(),
        LINE => SchemaBuilder::structure()
            .name("io.debezium.data.geometry.Line")
            .version(1)
            .doc("Geometry (LINE)")
            .field("a", double())
            .field("b", double())
            .field("c", double()),
        CIRCLE => SchemaBuilder::structure()
            .name("io.debezium.data.geometry.Circle")
            .version(1)
            .doc("Geometry (CIRCLE)")
            .field("center", point_schema().build())
            .field("radius", double()),
        LSEG | PATH | BOX | POLYGON => {
            let text = || SchemaBuilder::new(SchemaType::String).build();
            SchemaBuilder::structure()
                .name("io.debezium.data.geometry.Geometry")
                .version(2)
                .doc("Geometry")
                .field("wkb", SchemaBuilder::new(SchemaType::Bytes).build())
                .field("srid", Schema::optional_of(SchemaType::Int32))
                .field("extensions", SchemaBuilder::map(text(), text()).optional().build())
        }
        _ => return None,
    })
}

/// A value of geometric type `type_oid` in its text form as its `schema` holds it; `None` for
/// another type, `Some(Err)` for text that is not of the type.
pub(super) fn value(type_oid: u32, schema: &Arc<Schema>, text: &str) -> Option<Result<Value, String>> {
    if !matches!(type_oid, POINT | LINE | CIRCLE | LSEG | PATH | BOX | POLYGON) {
        return None;
    }
    let numbers = numbers(text);
    let pairs = || numbers.as_deref().map(pairs).unwrap_or_default();
    let geometry = |wkb: Vec<u8>, extensions: &[(&str, &str)]| {
        let mut value = Struct::new(schema.clone());
        value.put("wkb", Value::bytes(wkb));
        let entries = extensions
            .iter()
            .map(|(key, value)| (Value::String((*key).into()), Value::String((*value).into())))
            .collect();
        value.put("extensions", Value::Map(entries));
        Value::Struct(value)
    };
    let value = match (type_oid, numbers.as_deref()) {
        (POINT, Some(&[x, y])) => Some(point(schema, x, y)),
        (LINE, Some(&[a, b, c])) => {
            let mut value = Struct::new(schema.clone());
            value.put("a", Value::Float64(a));
            value.put("b", Value::Float64(b));
            value.put("c", Value::Float64(c));
            Some(Value::Struct(value))
        }
        (CIRCLE, Some(&[x, y, radius])) => schema.field("center").map(|center| {
            let mut value = Struct::new(schema.clone());
            value.put("center", point(&center.schema, x, y));
            value.put("radius", Value::Float64(radius));
            Value::Struct(value)
        }),
        (LSEG, Some(&[x1, y1, x2, y2])) => Some(geometry(line_string(&[(x1, y1), (x2, y2)]), &[("type", "lseg")])),
        (PATH, Some(_)) if pairs().len() >= 2 => {
            // `[…]` is an open path, `(…)` a closed one.
            let closed = if text.trim_start().starts_with('(') {
                "true"
            } else {
                "false"
            };
            Some(geometry(line_string(&pairs()), &[("type", "path"), ("closed", closed)]))
        }
        (BOX, Some(&[x1, y1, x2, y2])) => {
            let ring = [(x1, y1), (x1, y2), (x2, y2), (x2, y1), (x1, y1)];
            Some(geometry(polygon(&ring), &[("type", "box")]))
        }
        (POLYGON, Some(_)) if !pairs().is_empty() => {
            let mut ring = pairs();
            ring.push(ring[0]);
            Some(geometry(polygon(&ring), &[("type", "polygon")]))
        }
        _ => None,
    };
    Some(value.ok_or_else(|| "not a geometric value of its type".to_string()))
}

/// A point struct of `schema` (or the `center` of a circle's) at (x, y), with its WKB.
fn point(schema: &Arc<Schema>, x: f64, y: f64) -> Value {
    let mut wkb = wkb_header(WKB_POINT);
    push_point(&mut wkb, (x, y));
    let mut value = Struct::new(schema.clone());
    value.put("x", Value::Float64(x));
    value.put("y", Value::Float64(y));
    value.put("wkb", Value::bytes(wkb));
    Value::Struct(value)
}

fn wkb_header(geometry: u32) -> Vec<u8> {
    let mut wkb = vec![1]; // little-endian
    wkb.extend(geometry.to_le_bytes());
    wkb
}

fn push_point(wkb: &mut Vec<u8>, (x, y): (f64, f64)) {
    wkb.extend(x.to_le_bytes());
    wkb.extend(y.to_le_bytes());
}

/// Every number of a geometric value's text (`[(0,0),(1,2.5)]`, `<(1,1),2>`, `{1,-1,0}`), in
/// order; `None` when something else is in it.
fn numbers(text: &str) -> Option<Vec<f64>> {
    text.split(|c: char| "()[]{}<>,".contains(c))
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().ok())
        .collect()
}

/// A geometric value's numbers as (x, y) pairs (none for an odd count).
fn pairs(numbers: &[f64]) -> Vec<(f64, f64)> {
    if numbers.len() % 2 != 0 {
        return Vec::new();
    }
    numbers.chunks(2).map(|pair| (pair[0], pair[1])).collect()
}

/// The WKB of a line string through `points`.
fn line_string(points: &[(f64, f64)]) -> Vec<u8> {
    let mut wkb = wkb_header(WKB_LINE_STRING);
    wkb.extend((points.len() as u32).to_le_bytes());
    for &point in points {
        push_point(&mut wkb, point);
    }
    wkb
}

/// The WKB of a polygon of one ring (closed: its last point its first).
fn polygon(ring: &[(f64, f64)]) -> Vec<u8> {
    let mut wkb = wkb_header(WKB_POLYGON);
    wkb.extend(1u32.to_le_bytes());
    wkb.extend((ring.len() as u32).to_le_bytes());
    for &point in ring {
        push_point(&mut wkb, point);
    }
    wkb
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wkb(value: &Value) -> Vec<u8> {
        match value {
            Value::Struct(value) => match value.get("wkb") {
                Some(Value::Bytes(bytes)) => bytes.to_vec(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    fn read(type_oid: u32, text: &str) -> Result<Value, String> {
        let schema = schema(type_oid).expect("a geometric type").build();
        value(type_oid, &schema, text).expect("a geometric type")
    }

    #[test]
    fn shapes_are_debeziums_wkb() {
        let hex = |value: &Value| wkb(value).iter().map(|b| format!("{b:02x}")).collect::<String>();
        // What Debezium 3.7 wrote for these values (its base64, in hex).
        assert_eq!(
            hex(&read(LSEG, "[(0,0),(1,1)]").unwrap()),
            "01020000000200000000000000000000000000000000000000000000000000f03f000000000000f03f"
        );
        assert_eq!(
            hex(&read(BOX, "(1,1),(0,0)").unwrap()),
            "01030000000100000005000000000000000000f03f000000000000f03f000000000000f03f0000000000000000000000000000000000000000000000000000000000000000000000000000f03f000000000000f03f000000000000f03f"
        );
        assert_eq!(
            hex(&read(POLYGON, "((0,0),(1,1),(1,1))").unwrap()),
            "0103000000010000000400000000000000000000000000000000000000000000000000f03f000000000000f03f000000000000f03f000000000000f03f00000000000000000000000000000000"
        );
        assert!(read(LINE, "{1,-1,0}").is_ok());
        assert!(read(LINE, "{1,-1}").is_err());
        assert!(read(CIRCLE, "<(1,1),2>").is_ok());
        assert!(read(POINT, "(1,x)").is_err());
        assert!(value(25, &Schema::string(), "text").is_none());
    }
}
