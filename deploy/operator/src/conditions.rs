//! Status conditions as Strimzi writes them on every resource it manages: one `Ready` (or
//! `NotReady` with a reason and message) and a `Warning` per problem that does not stop the
//! resource, each keeping its `lastTransitionTime` while it stays the same; and writing a
//! status only when it changed.

use chrono::{DateTime, SecondsFormat, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One status condition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `Ready`, `NotReady` or `Warning`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// When it last changed (`yyyy-MM-ddTHH:mm:ssZ`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<String>,
    /// A CamelCase word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A failure that makes a resource NotReady, or a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// CamelCase.
    pub reason: String,
    /// For people.
    pub message: String,
}

impl Failure {
    /// A failure with `reason` and `message`.
    pub fn new(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Failure {
            reason: reason.into(),
            message: message.into(),
        }
    }
}

/// Strimzi's timestamp format.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `Ready` (or `NotReady` with `failure`) then a `Warning` per warning; a condition that was in
/// `previous` unchanged keeps its `lastTransitionTime`, the others get `now`.
pub fn conditions(
    failure: Option<&Failure>,
    warnings: &[Failure],
    previous: &[Condition],
    now: DateTime<Utc>,
) -> Vec<Condition> {
    let mut conditions = vec![match failure {
        None => condition("Ready", None),
        Some(failure) => condition("NotReady", Some(failure)),
    }];
    conditions.extend(warnings.iter().map(|w| condition("Warning", Some(w))));
    for condition in &mut conditions {
        let same = previous.iter().find(|old| {
            old.type_ == condition.type_
                && old.status == condition.status
                && old.reason == condition.reason
                && old.message == condition.message
        });
        condition.last_transition_time = Some(
            same.and_then(|old| old.last_transition_time.clone())
                .unwrap_or_else(|| timestamp(now)),
        );
    }
    conditions
}

/// A status holding conditions.
pub trait Status: Clone + PartialEq {
    /// Its conditions.
    fn conditions_mut(&mut self) -> &mut Vec<Condition>;
}

/// Whether two statuses differ in more than their timestamps (to write only real changes, and
/// not wake the watch for nothing).
pub fn status_changed<S: Status>(old: Option<&S>, new: &S) -> bool {
    let strip = |status: &S| {
        let mut status = status.clone();
        for condition in status.conditions_mut() {
            condition.last_transition_time = None;
        }
        status
    };
    old.map(strip) != Some(strip(new))
}

/// Writes `object`'s status subresource (`object` carries the new status). A conflict means
/// the resource changed meanwhile: the watch brings the newer one, whose reconciliation writes
/// the status again.
pub async fn replace_status<K>(api: &kube::Api<K>, name: &str, object: &K) -> Result<(), kube::Error>
where
    K: Clone + serde::de::DeserializeOwned + Serialize + std::fmt::Debug,
{
    match api
        .replace_status(name, &kube::api::PostParams::default(), object)
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(error) => Err(error),
    }
}

fn condition(type_: &str, failure: Option<&Failure>) -> Condition {
    Condition {
        type_: type_.to_string(),
        status: "True".into(),
        last_transition_time: None,
        reason: failure.map(|f| f.reason.clone()),
        message: failure.map(|f| f.message.clone()),
    }
}
