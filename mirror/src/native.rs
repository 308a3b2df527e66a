//! librdkafka's admin calls that rust-rdkafka does not wrap (ACLs, incremental config
//! changes), made on a [`ClusterAdmin`]'s own client so that they use the cluster's client
//! settings (TLS, SASL): the guard that frees librdkafka's objects, string conversions, and one
//! request waited for on a queue of its own. Callers run these blocking calls off the async
//! runtime.

use std::ffi::{c_char, CStr, CString};
use std::time::Duration;

use rdkafka_sys as sys;
use tributary_runtime::connector::ConnectError;

use crate::admin::ClusterAdmin;

/// Frees a librdkafka object when dropped.
pub(crate) struct Owned<T>(pub(crate) *mut T, pub(crate) unsafe extern "C" fn(*mut T));

impl<T> Drop for Owned<T> {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from librdkafka's matching constructor and is freed once.
            unsafe { (self.1)(self.0) }
        }
    }
}

/// Reads a C string librdkafka owns (empty for null).
///
/// # Safety
/// `text` is null or a valid NUL-terminated string that outlives the call.
pub(crate) unsafe fn text(text: *const c_char) -> String {
    if text.is_null() {
        String::new()
    } else {
        CStr::from_ptr(text).to_string_lossy().into_owned()
    }
}

/// A C string for librdkafka; names and values with a NUL byte cannot exist in Kafka.
pub(crate) fn c_string(value: &str) -> Result<CString, ConnectError> {
    CString::new(value).map_err(|_| ConnectError::fatal(format!("{value:?} contains a NUL byte")))
}

/// A request that failed as a whole: librdkafka's error code and message.
pub(crate) struct RequestFailure {
    /// The error code.
    pub code: sys::rd_kafka_resp_err_t,
    /// What librdkafka or the broker said.
    pub message: String,
}

impl ClusterAdmin {
    /// Runs one admin request (`send` given the client, the options and a reply queue) and
    /// waits for its result event.
    pub(crate) fn native_request(
        &self,
        operation: sys::rd_kafka_admin_op_t,
        send: impl FnOnce(*mut sys::rd_kafka_t, *const sys::rd_kafka_AdminOptions_t, *mut sys::rd_kafka_queue_t),
    ) -> Result<Owned<sys::rd_kafka_event_t>, RequestFailure> {
        let client = self.native_client();
        let timeout = self.timeout();
        let mut message = [0 as c_char; 512];
        // SAFETY: `client` stays valid while `self` holds the admin client; every object made
        // here is freed by its `Owned` guard after the last use.
        unsafe {
            let options = Owned(
                sys::rd_kafka_AdminOptions_new(client, operation),
                sys::rd_kafka_AdminOptions_destroy,
            );
            sys::rd_kafka_AdminOptions_set_request_timeout(
                options.0,
                timeout.as_millis().min(i32::MAX as u128) as i32,
                message.as_mut_ptr(),
                message.len(),
            );
            let queue = Owned(sys::rd_kafka_queue_new(client), sys::rd_kafka_queue_destroy);
            send(client, options.0, queue.0);
            let wait = (timeout + Duration::from_secs(5)).as_millis().min(i32::MAX as u128) as i32;
            let event = Owned(sys::rd_kafka_queue_poll(queue.0, wait), sys::rd_kafka_event_destroy);
            if event.0.is_null() {
                return Err(RequestFailure {
                    code: sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__TIMED_OUT,
                    message: "no answer in time".to_string(),
                });
            }
            match sys::rd_kafka_event_error(event.0) {
                sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR => Ok(event),
                code => Err(RequestFailure {
                    code,
                    message: text(sys::rd_kafka_event_error_string(event.0)),
                }),
            }
        }
    }
}
