//! The process's memory allocator: jemalloc, for Rust's allocations and, its `malloc` and
//! `free` being the process's own (unprefixed), for librdkafka's and every other C library's.
//!
//! Most of a mirror's or a sink's allocations are librdkafka's: an op per fetched message,
//! allocated on a broker thread and freed on the task's thread, and the produced messages the
//! other way round. With glibc's allocator a one-task mirror and a file sink took 22-26% more
//! CPU, and the JDBC sink the same; a worker that had run bulk JDBC sources and sinks held
//! 255-299 MB at its peak instead of 138-139, glibc keeping what each thread freed in that
//! thread's arena (`cargo bench --bench ab`, `--bench database`; BENCHMARKS.md).
//!
//! jemalloc keeps freed pages for reuse and hands them back after [`OPTIONS`]'
//! `dirty_decay_ms`, from a background thread: the shorter, the less memory a burst leaves
//! behind and the more CPU it costs (at 0 the one-task mirror peaked 10% lower and took 49%
//! more CPU). jemalloc's own `MALLOC_CONF` variable overrides these options (README).

use std::ffi::c_char;

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main` from the `malloc_conf` symbol (jemalloc's own is a
/// weak default this one replaces): purging on a background thread, freed pages handed back
/// after 100 ms.
#[export_name = "malloc_conf"]
static OPTIONS: Option<&'static c_char> =
    // SAFETY: a reference to the first byte of a NUL-terminated string that lives forever.
    Some(unsafe { &*c"background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0".as_ptr() });

#[cfg(test)]
mod tests {
    use std::ffi::{c_void, CStr};

    /// The value of jemalloc's option `name` (a `bool`, an `isize`…), read with `mallctl`.
    fn option<T: Default>(name: &CStr) -> T {
        let mut value = T::default();
        let mut size = std::mem::size_of::<T>();
        // SAFETY: `value` has room for the option's type, which `size` gives.
        let code = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                (&mut value as *mut T).cast::<c_void>(),
                &mut size,
                std::ptr::null_mut(),
                0,
            )
        };
        assert_eq!(code, 0, "mallctl {name:?}");
        value
    }

    #[test]
    fn jemalloc_reads_the_options() {
        if std::env::var_os("MALLOC_CONF").is_some() {
            return; // The user's options come after ours.
        }
        assert!(option::<bool>(c"opt.background_thread"));
        assert_eq!(option::<isize>(c"opt.dirty_decay_ms"), 100);
        assert_eq!(option::<isize>(c"opt.muzzy_decay_ms"), 0);
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn c_libraries_allocate_from_jemalloc_too() {
        // SAFETY: a plain allocation, written to and freed.
        let in_glibc = unsafe {
            let block = libc::malloc(64 * 1024).cast::<u8>();
            assert!(!block.is_null());
            block.write_bytes(1, 64 * 1024);
            let in_glibc = libc::mallinfo2().uordblks;
            libc::free(block.cast());
            in_glibc
        };
        assert_eq!(in_glibc, 0, "glibc's heap holds what C code allocates");
    }
}
