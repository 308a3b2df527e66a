//! Connect values to Arrow columns: a struct schema becomes an Arrow schema (one column per
//! field; INT8..INT64, FLOAT32/64, BOOLEAN, STRING, BYTES, and the Decimal, Date, Time and
//! Timestamp logical types as Arrow's decimal, date, time and UTC timestamp types), and buffered
//! records become one record batch. A value that is not a struct is one column, `value`.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float32Builder, Float64Builder,
    Int16Builder, Int32Builder, Int64Builder, Int8Builder, StringBuilder, Time32MillisecondBuilder,
    TimestampMillisecondBuilder,
};
use arrow::datatypes::{DataType, Field, Schema as ArrowSchema, TimeUnit};
use arrow::record_batch::RecordBatch;
use tributary_runtime::data::{logical, Schema, SchemaType, Value};

/// The Arrow type of values of `schema`.
fn arrow_type(schema: &Schema) -> Result<DataType, String> {
    Ok(match (schema.name.as_deref(), schema.schema_type) {
        (Some(logical::DECIMAL), _) => DataType::Decimal128(38, schema.decimal_scale().unwrap_or(0) as i8),
        (Some(logical::DATE), _) => DataType::Date32,
        (Some(logical::TIME), _) => DataType::Time32(TimeUnit::Millisecond),
        (Some(logical::TIMESTAMP), _) => DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
        (_, SchemaType::Int8) => DataType::Int8,
        (_, SchemaType::Int16) => DataType::Int16,
        (_, SchemaType::Int32) => DataType::Int32,
        (_, SchemaType::Int64) => DataType::Int64,
        (_, SchemaType::Float32) => DataType::Float32,
        (_, SchemaType::Float64) => DataType::Float64,
        (_, SchemaType::Boolean) => DataType::Boolean,
        (_, SchemaType::String) => DataType::Utf8,
        (_, SchemaType::Bytes) => DataType::Binary,
        (_, other) => return Err(format!("{other:?} fields cannot be written to Parquet")),
    })
}

/// The columns of records with value schema `schema`: a struct's fields, or one `value`.
pub(super) fn columns_of(schema: &Arc<Schema>) -> Vec<(String, Arc<Schema>)> {
    if schema.schema_type == SchemaType::Struct {
        schema
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.schema.clone()))
            .collect()
    } else {
        vec![("value".to_string(), schema.clone())]
    }
}

/// The Arrow schema for records with value schema `schema`.
pub(super) fn arrow_schema(schema: &Arc<Schema>) -> Result<Arc<ArrowSchema>, String> {
    let fields = columns_of(schema)
        .into_iter()
        .map(|(name, schema)| {
            let data_type = arrow_type(&schema).map_err(|e| format!("field {name}: {e}"))?;
            Ok(Field::new(name, data_type, schema.optional))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Arc::new(ArrowSchema::new(fields)))
}

/// The value of column `index` of a record value.
fn column_value(value: &Value, index: usize) -> &Value {
    match value {
        Value::Struct(s) => s.values().get(index).unwrap_or(&Value::Null),
        other => other,
    }
}

/// A Decimal's unscaled bytes as an i128.
fn unscaled(bytes: &[u8]) -> Result<i128, String> {
    if bytes.len() > 16 {
        return Err("decimal wider than 128 bits".into());
    }
    let fill = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        0xFF
    } else {
        0
    };
    let mut wide = [fill; 16];
    wide[16 - bytes.len()..].copy_from_slice(bytes);
    Ok(i128::from_be_bytes(wide))
}

/// One record batch of `values` (all of the schema `arrow` was made from).
pub(super) fn record_batch(arrow: &Arc<ArrowSchema>, values: &[Value]) -> Result<RecordBatch, String> {
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(arrow.fields().len());
    for (index, field) in arrow.fields().iter().enumerate() {
        let cells = values.iter().map(|v| column_value(v, index));
        let mismatch = |v: &Value| format!("field {}: {v:?} does not fit {}", field.name(), field.data_type());
        macro_rules! build {
            ($builder:expr, $($pattern:pat => $value:expr),+) => {{
                let mut builder = $builder;
                for cell in cells {
                    match cell {
                        Value::Null => builder.append_null(),
                        $($pattern => builder.append_value($value),)+
                        other => return Err(mismatch(other)),
                    }
                }
                Arc::new(builder.finish()) as ArrayRef
            }};
        }
        let array = match field.data_type() {
            DataType::Int8 => build!(Int8Builder::new(), Value::Int8(v) => *v),
            DataType::Int16 => build!(Int16Builder::new(), Value::Int16(v) => *v),
            DataType::Int32 => build!(Int32Builder::new(), Value::Int32(v) => *v),
            DataType::Date32 => build!(Date32Builder::new(), Value::Int32(v) => *v),
            DataType::Time32(_) => build!(Time32MillisecondBuilder::new(), Value::Int32(v) => *v),
            DataType::Int64 => build!(Int64Builder::new(), Value::Int64(v) => *v),
            DataType::Timestamp(..) => {
                let array = build!(TimestampMillisecondBuilder::new(), Value::Int64(v) => *v);
                array
                    .as_any()
                    .downcast_ref::<arrow::array::TimestampMillisecondArray>()
                    .map(|a| Arc::new(a.clone().with_timezone("UTC")) as ArrayRef)
                    .ok_or("timestamp column")?
            }
            DataType::Float32 => build!(Float32Builder::new(), Value::Float32(v) => *v),
            DataType::Float64 => build!(Float64Builder::new(), Value::Float64(v) => *v),
            DataType::Boolean => build!(BooleanBuilder::new(), Value::Boolean(v) => *v),
            DataType::Utf8 => build!(StringBuilder::new(), Value::String(v) => v),
            DataType::Binary => build!(BinaryBuilder::new(), Value::Bytes(v) => v),
            DataType::Decimal128(precision, scale) => {
                let mut builder = Decimal128Builder::new();
                for cell in cells {
                    match cell {
                        Value::Null => builder.append_null(),
                        Value::Bytes(bytes) => builder.append_value(unscaled(bytes)?),
                        other => return Err(mismatch(other)),
                    }
                }
                let array = builder
                    .finish()
                    .with_precision_and_scale(*precision, *scale)
                    .map_err(|e| e.to_string())?;
                Arc::new(array) as ArrayRef
            }
            other => return Err(format!("no writer for {other}")),
        };
        arrays.push(array);
    }
    RecordBatch::try_new(arrow.clone(), arrays).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, Decimal128Array, StringArray};
    use tributary_runtime::data::{SchemaBuilder, Struct};

    use super::*;

    #[test]
    fn structs_become_record_batches() {
        let schema = SchemaBuilder::structure()
            .field("id", Schema::of(SchemaType::Int64))
            .field("name", Schema::optional_string())
            .field("price", SchemaBuilder::decimal(2).build())
            .build();
        let arrow = arrow_schema(&schema).unwrap();
        assert_eq!(arrow.field(2).data_type(), &DataType::Decimal128(38, 2));
        let rows = [
            Value::Struct(
                Struct::new(schema.clone())
                    .with("id", 1i64)
                    .with("name", "a")
                    .with("price", Value::bytes(vec![0xFB, 0x1E])),
            ),
            Value::Struct(
                Struct::new(schema.clone())
                    .with("id", 2i64)
                    .with("price", Value::bytes(vec![1])),
            ),
        ];
        let batch = record_batch(&arrow, &rows).unwrap();
        assert_eq!(batch.num_rows(), 2);
        let names = batch.column(1).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!((names.value(0), names.is_null(1)), ("a", true));
        let prices = batch.column(2).as_any().downcast_ref::<Decimal128Array>().unwrap();
        assert_eq!(prices.value(0), -1250);
    }

    #[test]
    fn a_value_that_does_not_fit_is_refused() {
        let schema = Schema::of(SchemaType::Int64);
        let arrow = arrow_schema(&schema).unwrap();
        assert!(record_batch(&arrow, &[Value::String("x".into())]).is_err());
    }
}
