//! Which of a room's snapshots compaction keeps: the policy ([`Retention`]) and the pure decision
//! ([`to_delete`]) every backend applies inside its compaction transaction.

use std::time::Duration;

/// How many of a room's older snapshots compaction keeps, so that history can reach back in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// The newest `keep` snapshots are always kept, whatever their age (0 is treated as 1).
    pub keep: usize,
    /// Older snapshots than this are dropped (unless among the newest `keep`).
    pub max_age: Duration,
    /// Within `max_age`, kept snapshots are at least this far apart.
    pub spacing: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep: 1,
            max_age: Duration::from_secs(7 * 24 * 60 * 60),
            spacing: Duration::from_secs(5 * 60),
        }
    }
}

/// Returns the `upto_seq` of every snapshot `policy` drops.
///
/// `snapshots` are one room's `(upto_seq, created_at_ms)`, newest first, including the one just
/// written. The newest `max(keep, 1)` are kept; each older one is dropped if created before
/// `now_ms - max_age`, or if it is less than `spacing` older than the last snapshot kept (walking
/// newest to oldest).
pub fn to_delete(snapshots: &[(i64, i64)], policy: &Retention, now_ms: i64) -> Vec<i64> {
    let keep = policy.keep.max(1);
    let cutoff = now_ms.saturating_sub(millis(policy.max_age));
    let spacing = millis(policy.spacing);

    if snapshots.len() <= keep {
        return Vec::new();
    }
    let mut last_kept = snapshots[keep - 1].1;
    let mut dropped = Vec::new();
    for &(upto, at) in &snapshots[keep..] {
        if at < cutoff || last_kept.saturating_sub(at) < spacing {
            dropped.push(upto);
        } else {
            last_kept = at;
        }
    }
    dropped
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const DAY: i64 = 24 * 60 * MIN;
    const NOW: i64 = 1_000 * DAY;

    fn policy(keep: usize, max_age_ms: u64, spacing_ms: u64) -> Retention {
        Retention {
            keep,
            max_age: Duration::from_millis(max_age_ms),
            spacing: Duration::from_millis(spacing_ms),
        }
    }

    /// Snapshots newest first, numbered from 1 (the newest), created `ago` ms before NOW.
    fn snaps(ago: &[i64]) -> Vec<(i64, i64)> {
        ago.iter()
            .enumerate()
            .map(|(i, a)| (i as i64 + 1, NOW - a))
            .collect()
    }

    #[test]
    fn table() {
        let week = 7 * DAY as u64;
        let five_min = 5 * MIN as u64;
        #[rustfmt::skip]
        let cases: &[(&str, Retention, &[i64], &[i64])] = &[
            ("no snapshots", policy(1, week, five_min), &[], &[]),
            ("only the new one", policy(1, week, five_min), &[0], &[]),
            ("keep 0 acts as keep 1", policy(0, 0, 0), &[0, 10, 20], &[2, 3]),
            ("keep 0 never drops the newest, however old", policy(0, 0, 0), &[DAY], &[]),
            ("fewer than keep", policy(5, 0, u64::MAX), &[0, 1, 2], &[]),
            ("the newest keep are kept whatever their age", policy(2, 1, 0), &[0, 30 * DAY, 40 * DAY], &[3]),
            ("spacing drops close ones", policy(1, week, five_min), &[0, MIN, 2 * MIN, 6 * MIN], &[2, 3]),
            ("exactly spacing apart is kept", policy(1, week, five_min), &[0, 5 * MIN, 10 * MIN], &[]),
            ("spacing is measured from the last kept, not the last seen",
                policy(1, week, five_min), &[0, 3 * MIN, 6 * MIN, 9 * MIN, 12 * MIN], &[2, 4]),
            ("spacing counts from the oldest of the kept newest", policy(2, week, five_min),
                &[0, 10 * MIN, 12 * MIN, 16 * MIN], &[3]),
            ("older than max_age dropped", policy(1, DAY as u64, 0), &[0, DAY - 1, DAY, DAY + 1, 2 * DAY], &[4, 5]),
            ("max_age and spacing together", policy(1, DAY as u64, five_min),
                &[0, MIN, 10 * MIN, 11 * MIN, 2 * DAY], &[2, 4, 5]),
            ("spacing 0 keeps everything recent", policy(1, week, 0), &[0, 0, 0, 1], &[]),
            ("a clock that went backwards: a snapshot newer than the last kept is dropped",
                policy(1, week, five_min), &[10 * MIN, 0, 20 * MIN], &[2]),
            ("huge max_age does not overflow", policy(1, u64::MAX, five_min), &[0, 10 * MIN], &[]),
            ("huge spacing keeps only the newest", policy(3, week, u64::MAX), &[0, 1, 2, DAY, 2 * DAY], &[4, 5]),
        ];
        for (name, policy, ago, want) in cases {
            assert_eq!(to_delete(&snaps(ago), policy, NOW), *want, "{name}");
        }
    }

    #[test]
    fn future_timestamps_count_as_recent() {
        let s = [
            (3, NOW + DAY),
            (2, NOW + DAY - 10 * MIN),
            (1, NOW - 8 * DAY),
        ];
        assert_eq!(to_delete(&s, &Retention::default(), NOW), vec![1]);
    }

    #[test]
    fn extreme_now_does_not_overflow() {
        let s = [(2, i64::MIN), (1, i64::MIN)];
        assert_eq!(to_delete(&s, &Retention::default(), i64::MIN), vec![1]);
        let s = [(2, i64::MAX), (1, i64::MIN)];
        assert_eq!(to_delete(&s, &Retention::default(), i64::MAX), vec![1]);
        let s = [(2, i64::MAX), (1, 0)];
        assert_eq!(
            to_delete(&s, &policy(1, u64::MAX, 0), i64::MAX),
            Vec::<i64>::new()
        );
    }

    #[test]
    fn default_policy() {
        let d = Retention::default();
        assert_eq!(d.keep, 1);
        assert_eq!(d.max_age, Duration::from_secs(604_800));
        assert_eq!(d.spacing, Duration::from_secs(300));
        // One snapshot per five minutes over a week survives; the 8-day-old one does not.
        let s = snaps(&[0, 2 * MIN, 5 * MIN, 9 * MIN, 10 * MIN, 6 * DAY, 8 * DAY]);
        assert_eq!(to_delete(&s, &d, NOW), vec![2, 4, 7]);
    }
}
