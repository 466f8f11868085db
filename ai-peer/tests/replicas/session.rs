//! A random editing session: the model streams `new_str` in chunks, the agent steps when a
//! token bucket allows, a person types and deletes anywhere, and the replicas sync at random.
//! Every invariant is checked as it goes and at the end.

use std::time::{Duration, Instant};

use ai_peer::edit::{LiveEdit, TokenBucket};
use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone)]
pub enum Action {
    Push,
    Step { ms: u64 },
    Type { at: prop::sample::Index, s: String },
    Delete { at: prop::sample::Index, n: usize },
    ToAgent,
    ToHuman,
}

pub fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        4 => Just(Action::Push),
        8 => (0u64..60).prop_map(|ms| Action::Step { ms }),
        2 => (any::<prop::sample::Index>(), "[A-Z🎈\n]{1,3}").prop_map(|(at, s)| Action::Type { at, s }),
        1 => (any::<prop::sample::Index>(), 1usize..4).prop_map(|(at, n)| Action::Delete { at, n }),
        2 => Just(Action::ToAgent),
        2 => Just(Action::ToHuman),
    ]
}

pub const RATE: u32 = 150;
pub const BURST: u32 = 5;

/// One simulated session; panics on a broken invariant.
#[allow(clippy::too_many_arguments)]
pub fn session(
    initial: &str,
    (ra, rb): (usize, usize),
    new: &str,
    chunks: &[usize],
    actions: &[Action],
    agent_bytes: bool,
    lookahead: usize,
    roll_back: bool,
) {
    let (agent_kind, human_kind) = KINDS[usize::from(!agent_bytes)];
    let (human, agent) = pair(initial, agent_kind, human_kind);
    let log = record_agent(&agent);
    let (a, b) = (
        byte_of_char(initial, ra.min(rb)),
        byte_of_char(initial, ra.max(rb)),
    );
    let old = &initial[a..b];
    let mut edit = new_edit(&agent, a..b, lookahead);
    let new_chars: Vec<char> = new.chars().collect();
    let mut pieces = Vec::new();
    let mut at = 0;
    for &n in chunks.iter().cycle() {
        if at >= new_chars.len() {
            break;
        }
        let end = (at + n).min(new_chars.len());
        pieces.push(new_chars[at..end].iter().collect::<String>());
        at = end;
    }
    let mut pieces = pieces.into_iter();
    let t0 = Instant::now();
    let mut now = t0;
    let mut bucket = TokenBucket::new(RATE, BURST, t0);
    let (mut typed, mut erased, mut applied) = (0usize, 0usize, 0usize);
    let mut conflict = false;
    let mut done = false;

    let step = |edit: &mut LiveEdit, now: Instant, bucket: &mut TokenBucket| {
        let budget = bucket.take(edit.pending().min(8), now);
        let before = text(&agent);
        let r = edit.step(&agent, budget);
        let txns = std::mem::take(&mut *log.lock().unwrap());
        match r {
            Ok(st) => {
                assert!(st.applied <= budget);
                assert!(txns.len() <= 1, "one transaction per step");
                let changed: usize = txns
                    .iter()
                    .map(|d| changed_chars(&before, agent_kind, d))
                    .sum();
                assert_eq!(changed, st.applied, "the step changed what it reported");
                if st.done {
                    assert_eq!(between(edit, &agent), new, "range holds new_str");
                }
                (st.applied, st.done, false)
            }
            Err(c) => {
                assert!(txns.is_empty());
                assert_eq!(text(&agent), before, "nothing applied on conflict");
                assert_eq!(between(edit, &agent), c.fresh);
                (0, false, true)
            }
        }
    };

    for act in actions {
        match act {
            Action::Push => match pieces.next() {
                Some(p) => edit.push_new(&p),
                None => edit.finish_input(),
            },
            Action::Step { ms } => {
                now += Duration::from_millis(*ms);
                if !conflict && !done {
                    let (n, d, c) = step(&mut edit, now, &mut bucket);
                    applied += n;
                    done = d;
                    conflict = c;
                }
            }
            Action::Type { at, s } => {
                let len = text(&human).chars().count();
                type_at(&human, at.index(len + 1), s);
                typed += humans(s);
            }
            Action::Delete { at, n } => {
                let len = text(&human).chars().count();
                if len > 0 {
                    let at = at.index(len);
                    erased += humans(&delete_at(&human, at, (*n).min(len - at)));
                }
            }
            Action::ToAgent => sync(&human, &agent),
            Action::ToHuman => sync(&agent, &human),
        }
    }
    // The model finishes; the person stops typing; the agent catches up.
    for p in pieces.by_ref() {
        edit.push_new(&p);
    }
    edit.finish_input();
    sync(&human, &agent);
    for _ in 0..10_000 {
        if conflict || done {
            break;
        }
        now += bucket.wait(edit.pending().clamp(1, 8), now);
        let (n, d, c) = step(&mut edit, now, &mut bucket);
        applied += n;
        done = d;
        conflict = c;
    }
    assert!(conflict || done, "neither done nor stopped");
    if roll_back && edit.rollback(&agent) {
        assert_eq!(between(&edit, &agent), old);
    }
    sync(&agent, &human);
    sync(&human, &agent);
    let (ta, th) = (text(&agent), text(&human));
    assert_eq!(ta, th, "replicas converge");
    assert_eq!(
        humans(&ta),
        typed - erased,
        "the agent never deleted a person's char"
    );
    let nanos = now.duration_since(t0).as_nanos();
    assert!(
        applied as u128 * 1_000_000_000
            <= u128::from(RATE) * nanos + u128::from(BURST) * 1_000_000_000
    );
}
