//! Backend-independent behaviour tests of [`Store`]. Each check expects to start from an empty store
//! and deletes the rooms it created, so the checks can run one after another on the same store
//! (audit entries and token records cannot be deleted; the checks that write them only look at
//! their own).
//!
//! Checks about time read the clock with [`crate::store::now_ms`] and sleep a few milliseconds to
//! separate steps, so a backend must stamp rows with that same clock.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::{Append, Retention, Store};

mod history;
mod log;
mod records;

pub(crate) use history::*;
pub(crate) use log::*;
pub(crate) use records::*;

/// Runs every check on one store, which must start empty.
pub(crate) async fn run_conformance(store: Arc<dyn Store>) {
    empty_load(&*store).await;
    append_and_load_order(&*store).await;
    empty_append_is_noop(&*store).await;
    compact_then_load(&*store).await;
    compact_rejects_bad_upto(&*store).await;
    delete_room(&*store).await;
    list_rooms(&*store).await;
    binary_data_round_trips(&*store).await;
    concurrent_appends(store.clone()).await;

    snapshot_retention_keep(&*store).await;
    snapshot_retention_age(&*store).await;
    snapshot_retention_spacing(&*store).await;
    recompact_keeps_first_time(&*store).await;
    load_at_unknown_room(&*store).await;
    load_at_log_only(&*store).await;
    load_at_with_snapshots(&*store).await;

    versions_round_trip(&*store).await;
    audit_round_trip_and_filters(&*store).await;
    token_records(&*store).await;
    token_revocations(&*store).await;

    store.ping().await.expect("ping");
}

fn app(room: &str, data: &[u8]) -> Append {
    Append {
        room: Arc::from(room),
        update: Bytes::copy_from_slice(data),
    }
}

fn blobs(items: &[&[u8]]) -> Vec<Vec<u8>> {
    items.iter().map(|b| b.to_vec()).collect()
}

/// Keeps the newest `n` snapshots; the default spacing (minutes) drops every other one a test
/// makes.
fn keep(n: usize) -> Retention {
    Retention {
        keep: n,
        ..Retention::default()
    }
}

/// Lets the store's millisecond clock move on, so that what happens next has a later timestamp.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(3)).await;
}
