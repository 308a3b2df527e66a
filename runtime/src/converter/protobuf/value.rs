//! Connect values to Protobuf messages (for `prost-reflect` to encode) and back, each guided
//! by the message descriptor the bytes are written with and the Connect schema it maps to;
//! and the message indexes Confluent's wire format puts before a message.

use std::collections::HashMap;
use std::sync::Arc;

use num_bigint::BigInt;
use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MapKey, MessageDescriptor, ReflectMessage, Value as ProtoValue,
};

use super::schema::{
    has_optional_keyword, is_map_entry, is_union, union_field_name, ProtobufOptions, DATE_TYPE, DECIMAL_TYPE,
    TIMESTAMP_TYPE, TIME_TYPE,
};
use crate::converter::registry::{field_value, scrub_name};
use crate::converter::DataError;
use crate::data::{java_calendar_fields, java_strict_calendar_day, logical, Schema, SchemaType, Struct, Value};

const MILLIS_PER_SECOND: i64 = 1_000;
const NANOS_PER_MILLI: i64 = 1_000_000;

/// The indexes Confluent's wire format addresses `message` by: its place among its file's
/// messages, then among its parent's nested ones.
pub(super) fn message_indexes(message: &MessageDescriptor) -> Vec<i32> {
    // A message's descriptor path is (4 or 3, index) pairs: the message indexes are every second.
    message.path().iter().skip(1).step_by(2).copied().collect()
}

/// Appends `indexes` as Confluent's serializers write them: `[0]` as a single zero byte, else
/// the count and each index as zigzag varints.
pub(super) fn write_indexes(indexes: &[i32], out: &mut Vec<u8>) {
    if indexes == [0] {
        out.push(0);
        return;
    }
    let zigzag = |n: i32| u64::from(((n << 1) ^ (n >> 31)) as u32);
    prost::encoding::encode_varint(zigzag(indexes.len() as i32), out);
    for &index in indexes {
        prost::encoding::encode_varint(zigzag(index), out);
    }
}

/// Reads the message indexes at the start of `payload`, leaving the message.
pub(super) fn read_indexes(payload: &mut &[u8]) -> Result<Vec<i32>, DataError> {
    let mut next = || -> Result<i32, DataError> {
        let raw = prost::encoding::decode_varint(payload)
            .map_err(|e| DataError::new(format!("the message indexes are invalid: {e}")))?;
        let raw = raw as u32;
        Ok(((raw >> 1) as i32) ^ -((raw & 1) as i32))
    };
    let count = next()?;
    if count == 0 {
        return Ok(vec![0]);
    }
    if !(0..=100).contains(&count) {
        return Err(DataError::new(format!("{count} message indexes are not plausible")));
    }
    (0..count).map(|_| next()).collect()
}

fn mismatch(value: &Value, field: &FieldDescriptor) -> DataError {
    DataError::new(format!(
        "a {} value does not fit the Protobuf field {} of type {:?}",
        value.kind(),
        field.full_name(),
        field.kind()
    ))
}

/// The record `value` of `schema` as a message of `descriptor`: a struct's, or a primitive
/// in a wrapper's `value`.
pub(super) fn to_record_message(
    descriptor: &MessageDescriptor,
    schema: &Schema,
    value: &Value,
    options: ProtobufOptions,
) -> Result<DynamicMessage, DataError> {
    if matches!(value, Value::Struct(_)) {
        return to_message(descriptor, value, options);
    }
    let field = descriptor.get_field_by_name("value").ok_or_else(|| {
        DataError::new(format!(
            "a {} value where the message {} is expected",
            value.kind(),
            descriptor.full_name()
        ))
    })?;
    let mut message = DynamicMessage::new(descriptor.clone());
    message.set_field(&field, to_proto(&field, schema, value, options)?);
    Ok(message)
}

/// The record `message` as Connect's: a struct, or a primitive from a wrapper's `value`.
pub(super) fn to_record_value(
    message: &DynamicMessage,
    schema: &Arc<Schema>,
    options: ProtobufOptions,
) -> Result<Value, DataError> {
    if schema.schema_type == SchemaType::Struct {
        return to_connect(message, schema, options);
    }
    let field = message
        .descriptor()
        .get_field_by_name("value")
        .ok_or_else(|| DataError::new("a wrapper message without a value"))?;
    scalar_to_connect(&message.get_field(&field), &field, schema, options)
}

/// The struct `value` as a message of `descriptor`.
fn to_message(
    descriptor: &MessageDescriptor,
    value: &Value,
    options: ProtobufOptions,
) -> Result<DynamicMessage, DataError> {
    let Value::Struct(value) = value else {
        return Err(DataError::new(format!(
            "a {} value where a Protobuf message is expected",
            value.kind()
        )));
    };
    let mut message = DynamicMessage::new(descriptor.clone());
    for (field, held) in value.iter() {
        let field_value = field_value(field, held, options.ignore_default_for_nullables);
        if field_value.is_null() {
            continue;
        }
        let (name, schema, field_value) = match field_value {
            // A oneof: its one member that is set.
            Value::Struct(union) if is_union(&field.schema) => {
                let Some((member, member_value)) = union.iter().find(|(_, v)| !v.is_null()) else {
                    continue;
                };
                (&member.name, &member.schema, member_value)
            }
            _ => (&field.name, &field.schema, field_value),
        };
        let proto_field = descriptor
            .get_field_by_name(name)
            .or_else(|| descriptor.get_field_by_name(&scrub_name(name, false)))
            .ok_or_else(|| {
                DataError::new(format!(
                    "Cannot find field with name {name} in {}",
                    descriptor.full_name()
                ))
            })?;
        if let Some(proto_value) = field_to_proto(&proto_field, schema, field_value, options)? {
            message.set_field(&proto_field, proto_value);
        }
    }
    Ok(message)
}

/// A field's value; `None` for an empty repeated field (left unset, as Confluent's converter does).
fn field_to_proto(
    field: &FieldDescriptor,
    schema: &Schema,
    value: &Value,
    options: ProtobufOptions,
) -> Result<Option<ProtoValue>, DataError> {
    if field.is_map() {
        let Value::Map(entries) = value else {
            return Err(mismatch(value, field));
        };
        let entry = match field.kind() {
            Kind::Message(entry) => entry,
            _ => return Err(mismatch(value, field)),
        };
        let (key_field, value_field) = (entry.map_entry_key_field(), entry.map_entry_value_field());
        let (key_schema, value_schema) = map_schemas(schema)?;
        let mut map = HashMap::with_capacity(entries.len());
        for (key, entry_value) in entries {
            let key = map_key(to_proto(&key_field, key_schema, key, options)?)?;
            if let Some(entry_value) = nullable_to_proto(&value_field, value_schema, entry_value, options)? {
                map.insert(key, entry_value);
            }
        }
        return Ok(Some(ProtoValue::Map(map)));
    }
    if field.is_list() {
        let items: Vec<ProtoValue> = match (value, field.kind()) {
            // A map written as repeated `…Entry` messages.
            (Value::Map(entries), Kind::Message(entry)) if is_map_entry(&entry) => {
                let (key_schema, value_schema) = map_schemas(schema)?;
                let (key_field, value_field) = entry_fields(&entry)?;
                let mut items = Vec::with_capacity(entries.len());
                for (key, entry_value) in entries {
                    let mut message = DynamicMessage::new(entry.clone());
                    if let Some(key) = nullable_to_proto(&key_field, key_schema, key, options)? {
                        message.set_field(&key_field, key);
                    }
                    if let Some(entry_value) = nullable_to_proto(&value_field, value_schema, entry_value, options)? {
                        message.set_field(&value_field, entry_value);
                    }
                    items.push(ProtoValue::Message(message));
                }
                items
            }
            (Value::Array(elements), _) => {
                let items_schema = schema
                    .value_schema
                    .as_deref()
                    .ok_or_else(|| DataError::new("an array schema without items"))?;
                elements
                    .iter()
                    .map(|element| to_proto(field, items_schema, element, options))
                    .collect::<Result<_, _>>()?
            }
            _ => return Err(mismatch(value, field)),
        };
        return Ok((!items.is_empty()).then_some(ProtoValue::List(items)));
    }
    to_proto(field, schema, value, options).map(Some)
}

fn entry_fields(entry: &MessageDescriptor) -> Result<(FieldDescriptor, FieldDescriptor), DataError> {
    match (entry.get_field(1), entry.get_field(2)) {
        (Some(key), Some(value)) => Ok((key, value)),
        _ => Err(DataError::new(format!(
            "the map entry {} has no key or value",
            entry.full_name()
        ))),
    }
}

fn nullable_to_proto(
    field: &FieldDescriptor,
    schema: &Schema,
    value: &Value,
    options: ProtobufOptions,
) -> Result<Option<ProtoValue>, DataError> {
    if value.is_null() {
        return Ok(None);
    }
    to_proto(field, schema, value, options).map(Some)
}

fn map_key(value: ProtoValue) -> Result<MapKey, DataError> {
    Ok(match value {
        ProtoValue::Bool(b) => MapKey::Bool(b),
        ProtoValue::I32(n) => MapKey::I32(n),
        ProtoValue::I64(n) => MapKey::I64(n),
        ProtoValue::U32(n) => MapKey::U32(n),
        ProtoValue::U64(n) => MapKey::U64(n),
        ProtoValue::String(s) => MapKey::String(s),
        other => return Err(DataError::new(format!("{other:?} cannot be a Protobuf map key"))),
    })
}

/// One value (an element of a repeated field) of `field`'s type.
fn to_proto(
    field: &FieldDescriptor,
    schema: &Schema,
    value: &Value,
    options: ProtobufOptions,
) -> Result<ProtoValue, DataError> {
    let wrong = || mismatch(value, field);
    let integer = || match value {
        Value::Int8(n) => Some(i64::from(*n)),
        Value::Int16(n) => Some(i64::from(*n)),
        Value::Int32(n) => Some(i64::from(*n)),
        Value::Int64(n) => Some(*n),
        _ => None,
    };
    Ok(match field.kind() {
        // Java's narrowing casts, as Confluent's converter writes a wider value.
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => ProtoValue::I32(integer().ok_or_else(wrong)? as i32),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => ProtoValue::I64(integer().ok_or_else(wrong)?),
        Kind::Uint32 | Kind::Fixed32 => ProtoValue::U32(integer().ok_or_else(wrong)? as u32),
        Kind::Uint64 | Kind::Fixed64 => ProtoValue::U64(integer().ok_or_else(wrong)? as u64),
        Kind::Float => match value {
            Value::Float32(x) => ProtoValue::F32(*x),
            Value::Float64(x) => ProtoValue::F32(*x as f32),
            _ => return Err(wrong()),
        },
        Kind::Double => match value {
            Value::Float64(x) => ProtoValue::F64(*x),
            Value::Float32(x) => ProtoValue::F64(f64::from(*x)),
            _ => return Err(wrong()),
        },
        Kind::Bool => match value {
            Value::Boolean(b) => ProtoValue::Bool(*b),
            _ => return Err(wrong()),
        },
        Kind::String => ProtoValue::String(value.as_str().ok_or_else(wrong)?.to_string()),
        Kind::Bytes => match value {
            Value::Bytes(b) => ProtoValue::Bytes(b.clone()),
            _ => return Err(wrong()),
        },
        Kind::Enum(enumeration) => match value {
            Value::String(symbol) => ProtoValue::EnumNumber(
                enumeration
                    .get_value_by_name(symbol)
                    .ok_or_else(|| {
                        DataError::new(format!(
                            "{symbol} is not a symbol of the enum {}",
                            enumeration.full_name()
                        ))
                    })?
                    .number(),
            ),
            _ => ProtoValue::EnumNumber(integer().ok_or_else(wrong)? as i32),
        },
        Kind::Message(message) => ProtoValue::Message(match message.full_name() {
            DECIMAL_TYPE => decimal_message(&message, schema, value)?,
            // As Confluent's converter writes it, through `java.util.Calendar`: the Julian
            // date before 1582-10-15, a BC year as the year of its era.
            DATE_TYPE => {
                let (year, month, day) = java_calendar_fields(integer().ok_or_else(wrong)?);
                let year = i32::try_from(year).map_err(|_| DataError::new(format!("the year {year} is too far")))?;
                message_of(
                    &message,
                    &[("year", year), ("month", month as i32), ("day", day as i32)],
                )
            }
            TIME_TYPE => {
                let millis = integer().ok_or_else(wrong)?;
                if !(0..=i64::from(logical::MILLIS_PER_DAY)).contains(&millis) {
                    return Err(DataError::new(
                        "Time values must use number of millis greater than 0 and less than 86400000",
                    ));
                }
                let millis = millis as i32;
                message_of(
                    &message,
                    &[
                        ("hours", millis / 3_600_000),
                        ("minutes", millis / 60_000 % 60),
                        ("seconds", millis / 1_000 % 60),
                        ("nanos", millis % 1_000 * NANOS_PER_MILLI as i32),
                    ],
                )
            }
            TIMESTAMP_TYPE => {
                let millis = integer().ok_or_else(wrong)?;
                let mut timestamp = DynamicMessage::new(message.clone());
                timestamp.set_field_by_name("seconds", ProtoValue::I64(millis.div_euclid(MILLIS_PER_SECOND)));
                timestamp.set_field_by_name(
                    "nanos",
                    ProtoValue::I32((millis.rem_euclid(MILLIS_PER_SECOND) * NANOS_PER_MILLI) as i32),
                );
                timestamp
            }
            // A struct, or a primitive in its wrapper (`wrapper.for.nullables`).
            _ => to_record_message(&message, schema, value, options)?,
        }),
    })
}

fn message_of(descriptor: &MessageDescriptor, fields: &[(&str, i32)]) -> DynamicMessage {
    let mut message = DynamicMessage::new(descriptor.clone());
    for (name, value) in fields {
        message.set_field_by_name(name, ProtoValue::I32(*value));
    }
    message
}

/// A Connect decimal (its unscaled bytes) as a `confluent.type.Decimal`.
fn decimal_message(
    descriptor: &MessageDescriptor,
    schema: &Schema,
    value: &Value,
) -> Result<DynamicMessage, DataError> {
    let Value::Bytes(unscaled) = value else {
        return Err(DataError::new(format!(
            "a {} value where a decimal is expected",
            value.kind()
        )));
    };
    let scale = schema
        .decimal_scale()
        .ok_or_else(|| DataError::new("a confluent.type.Decimal field whose Connect schema is not a Decimal"))?;
    let digits = BigInt::from_signed_bytes_be(unscaled).magnitude().to_string().len();
    let mut message = DynamicMessage::new(descriptor.clone());
    message.set_field_by_name("value", ProtoValue::Bytes(unscaled.clone()));
    message.set_field_by_name("precision", ProtoValue::U32(digits as u32));
    message.set_field_by_name("scale", ProtoValue::I32(scale));
    Ok(message)
}

/// The Connect struct of `message`, whose Connect schema is `schema`.
fn to_connect(message: &DynamicMessage, schema: &Arc<Schema>, options: ProtobufOptions) -> Result<Value, DataError> {
    let descriptor = message.descriptor();
    let mut values = Vec::with_capacity(schema.fields.len());
    for field in &schema.fields {
        let value = if is_union(&field.schema) {
            union_to_connect(message, &descriptor, field, options)?
        } else {
            let proto_field = descriptor.get_field_by_name(&field.name).ok_or_else(|| {
                DataError::new(format!(
                    "the message {} has no field {}",
                    descriptor.full_name(),
                    field.name
                ))
            })?;
            field_to_connect(message, &proto_field, &field.schema, options)?
        };
        values.push(value);
    }
    Struct::from_values(schema.clone(), values)
        .map(Value::Struct)
        .ok_or_else(|| DataError::new("a struct whose values do not match its schema"))
}

fn union_to_connect(
    message: &DynamicMessage,
    descriptor: &MessageDescriptor,
    field: &crate::data::Field,
    options: ProtobufOptions,
) -> Result<Value, DataError> {
    let oneof = descriptor
        .oneofs()
        .find(|o| union_field_name(o, options) == field.name)
        .ok_or_else(|| {
            DataError::new(format!(
                "the message {} has no oneof {}",
                descriptor.full_name(),
                field.name
            ))
        })?;
    let Some(member) = oneof.fields().find(|f| message.has_field(f)) else {
        return Ok(Value::Null);
    };
    let mut union = Struct::new(field.schema.clone());
    let member_schema = field
        .schema
        .field(member.name())
        .map(|f| f.schema.clone())
        .ok_or_else(|| DataError::new(format!("the oneof {} has no member {}", field.name, member.name())))?;
    union.put(
        member.name(),
        to_connect_value(&message.get_field(&member), &member, &member_schema, options)?,
    );
    Ok(Value::Struct(union))
}

/// A field as Confluent's converter reads it: a scalar or repeated field always (its default
/// when unset), a message or `optional` field (proto2's under `optional.for.proto2`) only when
/// set (always, its default, under `generate.struct.for.nulls`), a `oneof` member
/// (`flatten.unions`) only when set.
fn field_to_connect(
    message: &DynamicMessage,
    field: &FieldDescriptor,
    schema: &Arc<Schema>,
    options: ProtobufOptions,
) -> Result<Value, DataError> {
    let member = field.containing_oneof().is_some_and(|oneof| !oneof.is_synthetic());
    let optional = match options.optional_for_proto2 {
        true => has_optional_keyword(field),
        false => field.field_descriptor_proto().proto3_optional(),
    };
    let scalar = (field.is_list() || field.is_map() || !matches!(field.kind(), Kind::Message(_))) && !optional;
    let always = !member && (scalar || options.generate_struct_for_nulls);
    if !always && !message.has_field(field) {
        return Ok(Value::Null);
    }
    to_connect_value(&message.get_field(field), field, schema, options)
}

fn to_connect_value(
    value: &ProtoValue,
    field: &FieldDescriptor,
    schema: &Arc<Schema>,
    options: ProtobufOptions,
) -> Result<Value, DataError> {
    let wrong = || {
        DataError::new(format!(
            "the Protobuf value {value:?} does not fit the Connect {} schema",
            schema.schema_type.name()
        ))
    };
    match value {
        ProtoValue::List(items) if schema.schema_type == SchemaType::Map => {
            let (key_schema, value_schema) = map_schemas(schema)?;
            let mut entries = Vec::with_capacity(items.len());
            for item in items {
                let ProtoValue::Message(entry) = item else {
                    return Err(wrong());
                };
                let (key_field, value_field) = entry_fields(&entry.descriptor())?;
                entries.push((
                    field_to_connect(entry, &key_field, key_schema, options)?,
                    field_to_connect(entry, &value_field, value_schema, options)?,
                ));
            }
            Ok(Value::Map(entries))
        }
        ProtoValue::List(items) => {
            let items_schema = schema.value_schema.as_ref().ok_or_else(wrong)?;
            let elements = items
                .iter()
                .map(|item| scalar_to_connect(item, field, items_schema, options))
                .collect::<Result<_, _>>()?;
            Ok(Value::Array(elements))
        }
        ProtoValue::Map(map) => {
            let (key_schema, value_schema) = map_schemas(schema)?;
            let Kind::Message(entry) = field.kind() else {
                return Err(wrong());
            };
            let value_field = entry.map_entry_value_field();
            let mut entries = Vec::with_capacity(map.len());
            for (key, entry_value) in map {
                let key = match key {
                    MapKey::Bool(b) => ProtoValue::Bool(*b),
                    MapKey::I32(n) => ProtoValue::I32(*n),
                    MapKey::I64(n) => ProtoValue::I64(*n),
                    MapKey::U32(n) => ProtoValue::U32(*n),
                    MapKey::U64(n) => ProtoValue::U64(*n),
                    MapKey::String(s) => ProtoValue::String(s.clone()),
                };
                entries.push((
                    scalar_to_connect(&key, &entry.map_entry_key_field(), key_schema, options)?,
                    scalar_to_connect(entry_value, &value_field, value_schema, options)?,
                ));
            }
            Ok(Value::Map(entries))
        }
        other => scalar_to_connect(other, field, schema, options),
    }
}

/// A map schema's key and value schemas.
fn map_schemas(schema: &Schema) -> Result<(&Arc<Schema>, &Arc<Schema>), DataError> {
    match (&schema.key_schema, &schema.value_schema) {
        (Some(keys), Some(values)) => Ok((keys, values)),
        _ => Err(DataError::new("a map schema without key or value schema")),
    }
}

/// One value (an element of a repeated field) of `field`'s type as Connect's.
fn scalar_to_connect(
    value: &ProtoValue,
    field: &FieldDescriptor,
    schema: &Arc<Schema>,
    options: ProtobufOptions,
) -> Result<Value, DataError> {
    let wrong = || {
        DataError::new(format!(
            "the Protobuf value {value:?} does not fit the Connect {} schema",
            schema.schema_type.name()
        ))
    };
    Ok(match (value, schema.schema_type) {
        (ProtoValue::I32(n), SchemaType::Int8) => Value::Int8(*n as i8),
        (ProtoValue::I32(n), SchemaType::Int16) => Value::Int16(*n as i16),
        (ProtoValue::I32(n), SchemaType::Int32) => Value::Int32(*n),
        (ProtoValue::I32(n), SchemaType::Int64) => Value::Int64(i64::from(*n)),
        (ProtoValue::I64(n), SchemaType::Int64) => Value::Int64(*n),
        (ProtoValue::U32(n), SchemaType::Int64) => Value::Int64(i64::from(*n)),
        // Java reads a uint64 into a signed long.
        (ProtoValue::U64(n), SchemaType::Int64) => Value::Int64(*n as i64),
        (ProtoValue::F32(x), SchemaType::Float32) => Value::Float32(*x),
        (ProtoValue::F64(x), SchemaType::Float64) => Value::Float64(*x),
        (ProtoValue::Bool(b), SchemaType::Boolean) => Value::Boolean(*b),
        (ProtoValue::String(s), SchemaType::String) => Value::String(s.clone()),
        (ProtoValue::Bytes(b), SchemaType::Bytes) => Value::Bytes(b.clone()),
        (ProtoValue::EnumNumber(n), SchemaType::String) => {
            let Kind::Enum(enumeration) = field.kind() else {
                return Err(wrong());
            };
            // A number the enum does not know reads as the number, as Java's unknown values do.
            Value::String(
                enumeration
                    .get_value(*n)
                    .map_or_else(|| n.to_string(), |v| v.name().to_string()),
            )
        }
        (ProtoValue::EnumNumber(n), SchemaType::Int32) => Value::Int32(*n),
        (ProtoValue::Message(message), _) => message_to_connect(message, schema, options)?,
        _ => return Err(wrong()),
    })
}

/// A message field's value: a logical type's, or a struct.
fn message_to_connect(
    message: &DynamicMessage,
    schema: &Arc<Schema>,
    options: ProtobufOptions,
) -> Result<Value, DataError> {
    let int = |name: &str| message.get_field_by_name(name).and_then(|v| v.as_i32()).unwrap_or(0);
    match schema.name.as_deref() {
        Some(logical::DECIMAL) => {
            let unscaled = message
                .get_field_by_name("value")
                .and_then(|v| v.as_bytes().map(|b| b.to_vec()))
                .unwrap_or_default();
            let scale = int("scale");
            let target = schema.decimal_scale().unwrap_or(0);
            Ok(Value::bytes(rescale(&unscaled, scale, target)?))
        }
        // As Confluent's converter reads it, through a strict `java.util.Calendar`: a Julian
        // date before 1582-10-15, refused outside the Christian era.
        Some(logical::DATE) => {
            let (year, month, day) = (int("year"), int("month"), int("day"));
            java_strict_calendar_day(year.into(), month.into(), day.into())
                .and_then(|days| i32::try_from(days).ok())
                .map(Value::Int32)
                .ok_or_else(|| DataError::new(format!("{year}-{month}-{day} is not a date")))
        }
        Some(logical::TIME) => {
            // Confluent reads it through Java's `LocalTime.of`, which refuses a field outside
            // its range (so never a time past the day), with Java's message.
            let mut millis = 0;
            for (field, java_field, most, millis_per_unit) in [
                ("hours", "HourOfDay", 23, 3_600_000),
                ("minutes", "MinuteOfHour", 59, 60_000),
                ("seconds", "SecondOfMinute", 59, 1_000),
            ] {
                let value = int(field);
                if !(0..=most).contains(&value) {
                    return Err(DataError::new(format!(
                        "Invalid value for {java_field} (valid values 0 - {most}): {value}"
                    )));
                }
                millis += value * millis_per_unit;
            }
            let nanos = int("nanos");
            if !(0..=999_999_999).contains(&nanos) {
                return Err(DataError::new(format!(
                    "Invalid value for NanoOfSecond (valid values 0 - 999999999): {nanos}"
                )));
            }
            Ok(Value::Int32(millis + nanos / NANOS_PER_MILLI as i32))
        }
        Some(logical::TIMESTAMP) => {
            let seconds = message
                .get_field_by_name("seconds")
                .and_then(|v| v.as_i64())
                .unwrap_or(0);
            Ok(Value::Int64(
                seconds * MILLIS_PER_SECOND + i64::from(int("nanos")) / NANOS_PER_MILLI,
            ))
        }
        // A struct, or a wrapper read as its primitive (`wrapper.for.nullables`).
        _ => to_record_value(message, schema, options),
    }
}

/// A decimal's unscaled bytes at `scale` as unscaled bytes at `target` (exactly, or an error).
fn rescale(unscaled: &[u8], scale: i32, target: i32) -> Result<Vec<u8>, DataError> {
    if scale == target {
        return Ok(if unscaled.is_empty() {
            vec![0]
        } else {
            unscaled.to_vec()
        });
    }
    let value = BigInt::from_signed_bytes_be(unscaled);
    let ten = BigInt::from(10);
    let factor = ten.pow((target - scale).unsigned_abs());
    let rescaled = if target > scale {
        value * factor
    } else if (&value % &factor) == BigInt::from(0) {
        value / factor
    } else {
        return Err(DataError::new(format!(
            "a decimal of scale {scale} cannot be read exactly at the schema's scale {target}"
        )));
    };
    Ok(rescaled.to_signed_bytes_be())
}
