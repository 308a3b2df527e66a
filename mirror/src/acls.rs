//! Topic ACL sync (`sync.topic.acls.enabled`): which of the source's topic ACLs MirrorMaker 2
//! copies to the remote topics, and the two admin calls it needs. rust-rdkafka has no ACL
//! API, so the calls go to librdkafka's `DescribeAcls`/`CreateAcls` directly: they use the
//! cluster's own client settings (TLS, SASL), which a raw protocol connection would not.

use std::ffi::c_char;
use std::ptr;

use rdkafka_sys as sys;
/// An ACL operation (librdkafka's names: `RD_KAFKA_ACL_OPERATION_READ`, …).
pub use rdkafka_sys::rd_kafka_AclOperation_t as Operation;
/// An ACL permission: allow or deny.
pub use rdkafka_sys::rd_kafka_AclPermissionType_t as Permission;
use rdkafka_sys::{rd_kafka_ResourcePatternType_t as PatternType, rd_kafka_ResourceType_t as ResourceType};
use tributary_runtime::connector::ConnectError;

use crate::admin::ClusterAdmin;
use crate::native::{c_string, text, Owned};

/// One ACL entry on a topic named literally.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TopicAcl {
    /// The topic's name.
    pub topic: String,
    /// Who the entry is for, e.g. `User:alice`.
    pub principal: String,
    /// The host it applies from (`*` for any).
    pub host: String,
    /// The operation.
    pub operation: Operation,
    /// Allowed or denied.
    pub permission: Permission,
}

impl TopicAcl {
    /// The entry to create on `remote_topic` for this source entry, as MirrorMaker 2 decides:
    /// none for an ALLOW WRITE (only the mirror writes to remote topics), ALLOW READ for an
    /// ALLOW ALL, the same entry otherwise. The wildcard topic `*` names no topic and is not
    /// copied.
    pub fn mirrored(&self, remote_topic: String) -> Option<TopicAcl> {
        let allow = self.permission == Permission::RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW;
        if self.topic == "*" || allow && self.operation == Operation::RD_KAFKA_ACL_OPERATION_WRITE {
            return None;
        }
        let operation = if allow && self.operation == Operation::RD_KAFKA_ACL_OPERATION_ALL {
            Operation::RD_KAFKA_ACL_OPERATION_READ
        } else {
            self.operation
        };
        Some(TopicAcl {
            topic: remote_topic,
            operation,
            ..self.clone()
        })
    }
}

/// Why an ACL call gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum AclError {
    /// The cluster has no authorizer: there are no ACLs to read or write.
    #[error("the cluster has no authorizer configured")]
    SecurityDisabled,
    /// Any other failure (retriable: the next sync tries again).
    #[error(transparent)]
    Failed(#[from] ConnectError),
}

impl ClusterAdmin {
    /// Runs one ACL request and waits for its result event.
    fn acl_request(
        &self,
        what: &str,
        operation: sys::rd_kafka_admin_op_t,
        send: impl FnOnce(*mut sys::rd_kafka_t, *const sys::rd_kafka_AdminOptions_t, *mut sys::rd_kafka_queue_t),
    ) -> Result<Owned<sys::rd_kafka_event_t>, AclError> {
        self.native_request(operation, send)
            .map_err(|failure| match failure.code {
                sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_SECURITY_DISABLED => AclError::SecurityDisabled,
                _ => self.failed(what, failure.message).into(),
            })
    }

    /// The ACL entries on literally named topics.
    pub async fn topic_acls(&self) -> Result<Vec<TopicAcl>, AclError> {
        let admin = self.clone();
        tokio::task::spawn_blocking(move || admin.describe_topic_acls())
            .await
            .map_err(ConnectError::failed)?
    }

    fn describe_topic_acls(&self) -> Result<Vec<TopicAcl>, AclError> {
        let mut message = [0 as c_char; 512];
        // SAFETY: null name, principal and host mean "any"; the filter is copied by
        // `DescribeAcls` and freed by its guard.
        let filter = unsafe {
            Owned(
                sys::rd_kafka_AclBindingFilter_new(
                    ResourceType::RD_KAFKA_RESOURCE_TOPIC,
                    ptr::null(),
                    PatternType::RD_KAFKA_RESOURCE_PATTERN_LITERAL,
                    ptr::null(),
                    ptr::null(),
                    Operation::RD_KAFKA_ACL_OPERATION_ANY,
                    Permission::RD_KAFKA_ACL_PERMISSION_TYPE_ANY,
                    message.as_mut_ptr(),
                    message.len(),
                ),
                sys::rd_kafka_AclBinding_destroy,
            )
        };
        if filter.0.is_null() {
            // SAFETY: librdkafka wrote a NUL-terminated message into the buffer.
            let why = unsafe { text(message.as_ptr()) };
            return Err(ConnectError::fatal(format!("cannot build an ACL filter: {why}")).into());
        }
        let event = self.acl_request(
            "describe topic ACLs",
            sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_DESCRIBEACLS,
            // SAFETY: all pointers are live for the call.
            |client, options, queue| unsafe { sys::rd_kafka_DescribeAcls(client, filter.0, options, queue) },
        )?;
        // SAFETY: the event is a DescribeAcls result; its bindings live as long as the event.
        unsafe {
            let result = sys::rd_kafka_event_DescribeAcls_result(event.0);
            if result.is_null() {
                return Err(self.failed("describe topic ACLs", "unexpected reply").into());
            }
            let mut count = 0;
            let bindings = sys::rd_kafka_DescribeAcls_result_acls(result, &mut count);
            Ok((0..count)
                .map(|i| {
                    let binding = *bindings.add(i);
                    TopicAcl {
                        topic: text(sys::rd_kafka_AclBinding_name(binding)),
                        principal: text(sys::rd_kafka_AclBinding_principal(binding)),
                        host: text(sys::rd_kafka_AclBinding_host(binding)),
                        operation: sys::rd_kafka_AclBinding_operation(binding),
                        permission: sys::rd_kafka_AclBinding_permission_type(binding),
                    }
                })
                .collect())
        }
    }

    /// Creates `acls` (entries that exist already are left as they are).
    pub async fn create_topic_acls(&self, acls: Vec<TopicAcl>) -> Result<(), AclError> {
        if acls.is_empty() {
            return Ok(());
        }
        let admin = self.clone();
        tokio::task::spawn_blocking(move || admin.create_acls(&acls))
            .await
            .map_err(ConnectError::failed)?
    }

    fn create_acls(&self, acls: &[TopicAcl]) -> Result<(), AclError> {
        let mut bindings = Vec::with_capacity(acls.len());
        for acl in acls {
            let (topic, principal, host) = (c_string(&acl.topic)?, c_string(&acl.principal)?, c_string(&acl.host)?);
            let mut message = [0 as c_char; 512];
            // SAFETY: the strings are copied by librdkafka; the binding is freed by its guard.
            let binding = unsafe {
                Owned(
                    sys::rd_kafka_AclBinding_new(
                        ResourceType::RD_KAFKA_RESOURCE_TOPIC,
                        topic.as_ptr(),
                        PatternType::RD_KAFKA_RESOURCE_PATTERN_LITERAL,
                        principal.as_ptr(),
                        host.as_ptr(),
                        acl.operation,
                        acl.permission,
                        message.as_mut_ptr(),
                        message.len(),
                    ),
                    sys::rd_kafka_AclBinding_destroy,
                )
            };
            if binding.0.is_null() {
                // SAFETY: librdkafka wrote a NUL-terminated message into the buffer.
                let why = unsafe { text(message.as_ptr()) };
                return Err(ConnectError::fatal(format!("cannot build the ACL {acl:?}: {why}")).into());
            }
            bindings.push(binding);
        }
        let mut pointers: Vec<*mut sys::rd_kafka_AclBinding_t> = bindings.iter().map(|b| b.0).collect();
        let event = self.acl_request(
            "create topic ACLs",
            sys::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_CREATEACLS,
            // SAFETY: the bindings are copied by `CreateAcls`; all pointers are live for the call.
            |client, options, queue| unsafe {
                sys::rd_kafka_CreateAcls(client, pointers.as_mut_ptr(), pointers.len(), options, queue)
            },
        )?;
        // SAFETY: the event is a CreateAcls result; its entries live as long as the event.
        unsafe {
            let result = sys::rd_kafka_event_CreateAcls_result(event.0);
            if result.is_null() {
                return Err(self.failed("create topic ACLs", "unexpected reply").into());
            }
            let mut count = 0;
            let results = sys::rd_kafka_CreateAcls_result_acls(result, &mut count);
            for (i, acl) in acls.iter().enumerate().take(count) {
                let error = sys::rd_kafka_acl_result_error(*results.add(i));
                if error.is_null() {
                    continue;
                }
                if sys::rd_kafka_error_code(error) == sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_SECURITY_DISABLED {
                    return Err(AclError::SecurityDisabled);
                }
                let why = text(sys::rd_kafka_error_string(error));
                return Err(self.failed(&format!("create the ACL {acl:?}"), why).into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(topic: &str, operation: Operation, permission: Permission) -> TopicAcl {
        TopicAcl {
            topic: topic.into(),
            principal: "User:alice".into(),
            host: "*".into(),
            operation,
            permission,
        }
    }

    #[test]
    fn allow_write_is_never_copied() {
        let write = acl(
            "orders",
            Operation::RD_KAFKA_ACL_OPERATION_WRITE,
            Permission::RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW,
        );
        assert_eq!(write.mirrored("A.orders".into()), None);
    }

    #[test]
    fn allow_all_becomes_allow_read() {
        let all = acl(
            "orders",
            Operation::RD_KAFKA_ACL_OPERATION_ALL,
            Permission::RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW,
        );
        let read = acl(
            "A.orders",
            Operation::RD_KAFKA_ACL_OPERATION_READ,
            Permission::RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW,
        );
        assert_eq!(all.mirrored("A.orders".into()), Some(read));
    }

    #[test]
    fn denials_and_other_operations_are_copied_as_they_are() {
        for (operation, permission) in [
            (
                Operation::RD_KAFKA_ACL_OPERATION_WRITE,
                Permission::RD_KAFKA_ACL_PERMISSION_TYPE_DENY,
            ),
            (
                Operation::RD_KAFKA_ACL_OPERATION_ALL,
                Permission::RD_KAFKA_ACL_PERMISSION_TYPE_DENY,
            ),
            (
                Operation::RD_KAFKA_ACL_OPERATION_DESCRIBE,
                Permission::RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW,
            ),
        ] {
            let source = acl("orders", operation, permission);
            assert_eq!(
                source.mirrored("A.orders".into()),
                Some(acl("A.orders", operation, permission))
            );
        }
    }

    #[test]
    fn the_wildcard_topic_is_not_copied() {
        let any = acl(
            "*",
            Operation::RD_KAFKA_ACL_OPERATION_READ,
            Permission::RD_KAFKA_ACL_PERMISSION_TYPE_ALLOW,
        );
        assert_eq!(any.mirrored("A.*".into()), None);
    }
}
