//! The subject a schema is registered under: Confluent's three subject name strategies.

/// `key.subject.name.strategy` / `value.subject.name.strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectNameStrategy {
    /// `TopicNameStrategy` (the default): `<topic>-key` or `<topic>-value`.
    TopicName,
    /// `RecordNameStrategy`: the record's full name, whatever the topic.
    RecordName,
    /// `TopicRecordNameStrategy`: `<topic>-<record full name>`.
    TopicRecordName,
}

impl SubjectNameStrategy {
    /// The strategy a class name (Confluent's, or its simple name) designates.
    pub fn from_class(class: &str) -> Result<Self, String> {
        let simple = class.rsplit('.').next().unwrap_or(class);
        match simple {
            "TopicNameStrategy" => Ok(Self::TopicName),
            "RecordNameStrategy" => Ok(Self::RecordName),
            "TopicRecordNameStrategy" => Ok(Self::TopicRecordName),
            _ => Err(format!(
                "'{class}' is not one of io.confluent.kafka.serializers.subject.TopicNameStrategy, \
                 RecordNameStrategy or TopicRecordNameStrategy"
            )),
        }
    }

    /// The subject for a schema named `record_name` (its full name; a primitive's type name)
    /// written to `topic`.
    pub fn subject(self, topic: &str, is_key: bool, record_name: &str) -> String {
        match self {
            Self::TopicName => format!("{topic}-{}", if is_key { "key" } else { "value" }),
            Self::RecordName => record_name.to_string(),
            Self::TopicRecordName => format!("{topic}-{record_name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_as_confluent_names_them() {
        let strategy = |c| SubjectNameStrategy::from_class(c).unwrap();
        let topic = strategy("io.confluent.kafka.serializers.subject.TopicNameStrategy");
        assert_eq!(topic.subject("orders", false, "x.Order"), "orders-value");
        assert_eq!(topic.subject("orders", true, "x.Order"), "orders-key");
        assert_eq!(
            strategy("RecordNameStrategy").subject("orders", false, "x.Order"),
            "x.Order"
        );
        assert_eq!(
            strategy("io.confluent.kafka.serializers.subject.TopicRecordNameStrategy")
                .subject("orders", true, "x.Order"),
            "orders-x.Order"
        );
        assert!(SubjectNameStrategy::from_class("Other").is_err());
    }
}
