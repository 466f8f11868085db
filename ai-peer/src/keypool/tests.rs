//! Key-pool limits under a paused clock: rates, budgets, concurrency, cooldowns, load spread
//! and settling.

use std::sync::Barrier;

use tokio::time::advance;

use super::*;
use ProviderKind::{Anthropic as A, Bedrock as B};

const SEC: Duration = Duration::from_secs(1);

fn key(id: &str, limits: KeyLimits) -> KeySpec {
    KeySpec {
        id: id.into(),
        provider: A,
        limits,
    }
}

fn new_pool(keys: Vec<KeySpec>) -> KeyPool {
    KeyPool::new(keys).expect("pool")
}

/// The id of the key an acquire got, or the wait it was told.
fn try_id(pool: &KeyPool, tokens: u64) -> Result<String, Duration> {
    match pool.acquire(A, tokens) {
        Ok(lease) => Ok(lease.key_id().to_owned()),
        Err(AiError::Exhausted { retry_after }) => Err(retry_after),
        Err(other) => panic!("unexpected {other}"),
    }
}

fn state(pool: &KeyPool, id: &str) -> KeyState {
    pool.snapshot()
        .into_iter()
        .find(|s| s.id == id)
        .expect("key")
}

#[tokio::test(start_paused = true)]
async fn rpm_holds_under_concurrent_acquires() {
    let rpm = |n| KeyLimits {
        rpm: Some(n),
        ..KeyLimits::default()
    };
    let pool = new_pool(vec![key("a", rpm(10)), key("b", rpm(5))]);
    for round in 0..3 {
        // 50 OS threads racing for the lock; the paused clock stands still meanwhile.
        let start = Arc::new(Barrier::new(50));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (pool, start) = (pool.clone(), Arc::clone(&start));
                tokio::task::spawn_blocking(move || {
                    start.wait();
                    try_id(&pool, 10)
                })
            })
            .collect();
        let mut granted = Vec::new();
        for task in tasks {
            match task.await.expect("task") {
                Ok(id) => granted.push(id),
                Err(wait) => assert_eq!(wait, 60 * SEC, "round {round}"),
            }
        }
        let on = |id: &str| granted.iter().filter(|g| *g == id).count();
        assert_eq!((on("a"), on("b")), (10, 5), "round {round}");
        assert_eq!(try_id(&pool, 10), Err(60 * SEC));
        advance(59 * SEC).await;
        assert_eq!(try_id(&pool, 10), Err(SEC), "still inside the window");
        advance(SEC).await;
        assert_eq!(state(&pool, "a").requests_last_minute, 0, "round {round}");
    }
}

#[tokio::test(start_paused = true)]
async fn rpm_window_slides() {
    let pool = new_pool(vec![key(
        "a",
        KeyLimits {
            rpm: Some(2),
            ..KeyLimits::default()
        },
    )]);
    assert!(try_id(&pool, 0).is_ok());
    advance(20 * SEC).await;
    assert!(try_id(&pool, 0).is_ok());
    // The first request leaves the window at t=60, not the whole window at once.
    assert_eq!(try_id(&pool, 0), Err(40 * SEC));
    advance(40 * SEC).await;
    assert!(try_id(&pool, 0).is_ok());
    assert_eq!(try_id(&pool, 0), Err(20 * SEC));
}

#[tokio::test(start_paused = true)]
async fn tpm_counts_estimates_and_admits_one_oversized_request() {
    let pool = new_pool(vec![key(
        "a",
        KeyLimits {
            tpm: Some(1_000),
            ..KeyLimits::default()
        },
    )]);
    assert!(try_id(&pool, 600).is_ok());
    advance(30 * SEC).await;
    assert!(try_id(&pool, 300).is_ok());
    assert_eq!(try_id(&pool, 101), Err(30 * SEC), "600 must leave first");
    assert!(try_id(&pool, 100).is_ok(), "exactly at the limit fits");
    // 1000 used; an oversized request needs the whole window empty: at t=90.
    assert_eq!(try_id(&pool, 5_000), Err(60 * SEC));
    advance(60 * SEC).await;
    assert!(
        try_id(&pool, 5_000).is_ok(),
        "an empty window takes any estimate"
    );
    assert_eq!(try_id(&pool, 1), Err(60 * SEC));
    assert_eq!(state(&pool, "a").tokens_last_minute, 5_000);
}

#[tokio::test(start_paused = true)]
async fn daily_budget_is_a_rolling_day_and_hard() {
    let hour = 3_600 * SEC;
    let limits = KeyLimits {
        daily_tokens: Some(10_000),
        ..KeyLimits::default()
    };
    let pool = new_pool(vec![key("a", limits)]);
    assert!(try_id(&pool, 4_000).is_ok());
    advance(hour).await;
    assert!(try_id(&pool, 4_000).is_ok());
    advance(hour).await;
    assert_eq!(
        try_id(&pool, 4_000),
        Err(22 * hour),
        "the first 4000 leave at t=24h"
    );
    assert!(try_id(&pool, 2_000).is_ok());
    assert_eq!(
        try_id(&pool, 8_000),
        Err(23 * hour),
        "two entries must leave for 8000"
    );
    advance(22 * hour - SEC).await;
    assert_eq!(try_id(&pool, 4_000), Err(SEC));
    advance(SEC).await;
    assert_eq!(state(&pool, "a").tokens_last_day, 6_000);
    assert!(try_id(&pool, 4_000).is_ok());
    // Larger than the whole budget: never, so not a wait.
    let err = pool.acquire(A, 10_001).expect_err("over budget");
    assert!(matches!(err, AiError::Invalid(_)), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_key_with_budget_left_serves_what_another_cannot() {
    let small = KeyLimits {
        daily_tokens: Some(1_000),
        ..KeyLimits::default()
    };
    let large = KeyLimits {
        daily_tokens: Some(100_000),
        ..KeyLimits::default()
    };
    let pool = new_pool(vec![key("a", small), key("b", large)]);
    assert_eq!(try_id(&pool, 5_000), Ok("b".into()));
}

#[tokio::test(start_paused = true)]
async fn max_concurrent_frees_on_drop() {
    let pool = new_pool(vec![key(
        "a",
        KeyLimits {
            max_concurrent: Some(2),
            ..KeyLimits::default()
        },
    )]);
    let first = pool.acquire(A, 10).expect("first");
    let second = pool.acquire(A, 10).expect("second");
    assert_eq!(state(&pool, "a").in_flight, 2);
    assert_eq!(try_id(&pool, 10), Err(CONCURRENCY_HINT));
    drop(first);
    assert_eq!(state(&pool, "a").in_flight, 1);
    let third = pool.acquire(A, 10).expect("a slot came back");
    assert_eq!(try_id(&pool, 10), Err(CONCURRENCY_HINT));
    drop((second, third));
    assert_eq!(state(&pool, "a").in_flight, 0);
    assert_eq!(
        state(&pool, "a").requests_last_minute,
        3,
        "drops do not uncount requests"
    );
}

#[tokio::test(start_paused = true)]
async fn cooldown_after_429() {
    let pool = new_pool(vec![
        key("a", KeyLimits::default()),
        key("b", KeyLimits::default()),
    ]);
    pool.cool_down("a", 30 * SEC);
    assert_eq!(
        try_id(&pool, 10),
        Ok("b".into()),
        "the other key serves meanwhile"
    );
    pool.cool_down("b", 10 * SEC);
    pool.cool_down("b", 5 * SEC); // a shorter one does not cut the first short
    assert_eq!(state(&pool, "b").cooling_for, Some(10 * SEC));
    assert_eq!(try_id(&pool, 10), Err(10 * SEC));
    advance(10 * SEC).await;
    assert_eq!(try_id(&pool, 10), Ok("b".into()));
    advance(19 * SEC).await;
    assert_eq!(state(&pool, "a").cooling_for, Some(SEC));
    advance(SEC).await;
    assert_eq!(state(&pool, "a").cooling_for, None);
    pool.cool_down("b", 60 * SEC);
    assert_eq!(try_id(&pool, 10), Ok("a".into()));
    pool.cool_down("no such key", SEC);
}

#[tokio::test(start_paused = true)]
async fn least_loaded_spreads_by_utilisation() {
    let rpm = |n| KeyLimits {
        rpm: Some(n),
        ..KeyLimits::default()
    };
    let pool = new_pool(vec![key("b", rpm(20)), key("a", rpm(10))]);
    let order: Vec<String> = (0..6).map(|_| try_id(&pool, 0).expect("free")).collect();
    // a: 0 = 0 (by id), b: 0 < 0.1, b: 0.05 < 0.1, a: 0.1 = 0.1 (fewer requests), then b twice.
    assert_eq!(order, ["a", "b", "b", "a", "b", "b"]);
    let counts: Vec<usize> = pool
        .snapshot()
        .iter()
        .map(|s| s.requests_last_minute)
        .collect();
    assert_eq!(counts, [4, 2]);
}

#[tokio::test(start_paused = true)]
async fn unlimited_keys_spread_by_open_streams() {
    let pool = new_pool(vec![
        key("a", KeyLimits::default()),
        key("b", KeyLimits::default()),
    ]);
    let leases: Vec<KeyLease> = (0..4).map(|_| pool.acquire(A, 0).expect("free")).collect();
    let ids: Vec<&str> = leases.iter().map(KeyLease::key_id).collect();
    assert_eq!(ids, ["a", "b", "a", "b"]);
    // With a concurrency limit the fraction decides: b at 1/4 beats a at 1/2.
    let a = KeyLimits {
        max_concurrent: Some(2),
        ..KeyLimits::default()
    };
    let b = KeyLimits {
        max_concurrent: Some(4),
        ..KeyLimits::default()
    };
    let limited = new_pool(vec![key("a", a), key("b", b)]);
    let _held = (
        limited.acquire(A, 0).expect("a"),
        limited.acquire(A, 0).expect("b"),
    );
    assert_eq!(try_id(&limited, 0), Ok("b".into()));
}

#[tokio::test(start_paused = true)]
async fn settle_corrects_token_accounting() {
    let limits = KeyLimits {
        tpm: Some(1_000),
        daily_tokens: Some(5_000),
        ..KeyLimits::default()
    };
    let pool = new_pool(vec![key("a", limits)]);
    let mut big = pool.acquire(A, 900).expect("estimate fits");
    assert_eq!(try_id(&pool, 200), Err(60 * SEC));
    big.settle(100);
    let s = state(&pool, "a");
    assert_eq!((s.tokens_last_minute, s.tokens_last_day), (100, 100));
    let mut small = pool.acquire(A, 800).expect("room after settling");
    small.settle(3_000);
    small.settle(2_000); // settling again replaces, it does not add
    let s = state(&pool, "a");
    assert_eq!((s.tokens_last_minute, s.tokens_last_day), (2_100, 2_100));
    assert_eq!(try_id(&pool, 1), Err(60 * SEC));
    // Settled after the minute window moved on: only the day still holds it.
    advance(60 * SEC).await;
    big.settle(1_100);
    let s = state(&pool, "a");
    assert_eq!((s.tokens_last_minute, s.tokens_last_day), (0, 3_100));
    assert_eq!(s.in_flight, 2);
    drop((big, small));
    assert_eq!(state(&pool, "a").in_flight, 0);
}

#[tokio::test(start_paused = true)]
async fn errors_and_configuration() {
    let pool = new_pool(vec![key("a", KeyLimits::default())]);
    assert!(pool.has_keys(A));
    assert!(!pool.has_keys(B));
    let err = pool.acquire(B, 1).expect_err("no Bedrock keys");
    assert!(matches!(err, AiError::Config(_)), "{err}");
    let lease = pool.acquire(A, 1).expect("lease");
    assert_eq!((lease.key_id(), lease.provider()), ("a", A));

    let bad = [
        vec![
            key("a", KeyLimits::default()),
            key("a", KeyLimits::default()),
        ],
        vec![key("", KeyLimits::default())],
        vec![key(
            "a",
            KeyLimits {
                rpm: Some(0),
                ..KeyLimits::default()
            },
        )],
        vec![key(
            "a",
            KeyLimits {
                max_concurrent: Some(0),
                ..KeyLimits::default()
            },
        )],
    ];
    for keys in bad {
        let err = KeyPool::new(keys.clone()).expect_err("invalid keys");
        assert!(matches!(err, AiError::Config(_)), "{keys:?}: {err}");
    }
}

#[test]
fn specs_from_toml() {
    #[derive(Deserialize)]
    struct Keys {
        keys: Vec<KeySpec>,
    }
    let parsed: Keys = toml::from_str(
        r#"
        [[keys]]
        id = "prod-1"
        provider = "anthropic"
        limits = { rpm = 50, tpm = 40000, max_concurrent = 4 }
        [[keys]]
        id = "aws"
        provider = "bedrock"
        "#,
    )
    .expect("keys");
    let limits = KeyLimits {
        rpm: Some(50),
        tpm: Some(40_000),
        daily_tokens: None,
        max_concurrent: Some(4),
    };
    assert_eq!(
        parsed.keys[0],
        KeySpec {
            id: "prod-1".into(),
            provider: A,
            limits
        }
    );
    assert_eq!(parsed.keys[1].limits, KeyLimits::default());
    assert!(toml::from_str::<KeyLimits>("rpn = 5").is_err());
}

#[test]
fn handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<KeyPool>();
    send_sync::<KeyLease>();
}
