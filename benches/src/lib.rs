//! Shared inputs for the rtclite criterion benchmarks.
//!
//! Each bench in `benches/benches/` measures one rtclite hot path and, in the
//! same run and on the same bytes, the fastest peer implementations named in
//! its header comment. Run them with `cargo bench -p rtclite-benches`, or one
//! of them with `cargo bench -p rtclite-benches --bench NAME`.
#![forbid(unsafe_code)]
