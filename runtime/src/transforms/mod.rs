//! Single message transformations and predicates, configured exactly as in Apache Kafka:
//! `transforms=a,b`, `transforms.a.type=<class>`, `transforms.a.<setting>=…`, and optionally
//! `transforms.a.predicate=p` with `transforms.a.negate=true`, where
//! `predicates=p`, `predicates.p.type=<class>`, `predicates.p.<setting>=…`.

mod chain;

use crate::converter::DataError;
use crate::data::ConnectRecord;

pub use chain::TransformChain;

/// Changes, or drops, one record.
pub trait Transformation: Send + Sync {
    /// The transformed record, or `None` to drop it.
    fn apply(&self, record: ConnectRecord) -> Result<Option<ConnectRecord>, DataError>;
}

/// Decides whether a transformation applies to a record.
pub trait Predicate: Send + Sync {
    /// Whether the record matches.
    fn test(&self, record: &ConnectRecord) -> bool;
}
