//! Slots, the queue, the per-room cap and cancellation, over the real service.

mod common;

use std::time::{Duration, Instant};

use common::{Runner, collect, limits, request};
use runner::Settings;
use runner::proto::{KillReason, run_event::Event};

fn slots(n: usize, per_room: usize) -> Settings {
    Settings {
        slots: Some(n),
        per_room: Some(per_room),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_queue_of_three_times_the_slots_drains_in_order() {
    let r = Runner::start(slots(2, 2)).await;
    let code = "import time\ntime.sleep(0.3)\nprint('done')\n";
    let mut runs = Vec::new();
    for i in 0..6 {
        let mut req = request("q.py", code, limits());
        req.run_id = format!("q{i}");
        // Each call returns once the run is admitted, so submission order is this loop's order.
        let stream = r.client.clone().run(req).await.unwrap().into_inner();
        runs.push(tokio::spawn(async move {
            let ran = collect(stream).await;
            (ran.started_at, ran)
        }));
    }
    let mut results = Vec::new();
    for run in runs {
        results.push(run.await.unwrap());
    }
    for (i, (_, ran)) in results.iter().enumerate() {
        assert_eq!(ran.exited(), Some(0), "run {i}: {ran:?}");
        let expected: Vec<u32> = if i < 2 {
            vec![]
        } else {
            (1..=(i as u32 - 1)).rev().collect()
        };
        assert_eq!(ran.positions, expected, "run {i} saw its place move up");
    }
    let starts: Vec<Instant> = results.iter().map(|(s, _)| s.unwrap()).collect();
    for w in starts.windows(2) {
        assert!(w[0] <= w[1], "started in submission order");
    }
    let h = r.health().await;
    assert_eq!((h.running, h.queued), (0, 0));
    r.stop().await;
}

#[tokio::test]
async fn one_room_cannot_take_every_slot() {
    let r = Runner::start(slots(2, 1)).await;
    let long = "import time\ntime.sleep(30)\n";
    let mut a1 = request("a.py", long, limits());
    a1.room = "a".into();
    let mut a2 = a1.clone();
    a1.run_id = "a1".into();
    a2.run_id = "a2".into();
    let _a1 = r.client.clone().run(a1).await.unwrap().into_inner();
    let mut a2 = r.client.clone().run(a2).await.unwrap().into_inner();
    // a2 waits although a slot is free: room a is at its cap.
    let first = a2.message().await.unwrap().unwrap();
    assert!(matches!(first.event, Some(Event::Queued(q)) if q.position == 1));
    let mut b = request("b.py", "print('b ran')", limits());
    b.room = "b".into();
    let ran = r.run_request(b).await;
    assert_eq!(ran.stdout(), "b ran\n", "room b still gets the free slot");
    r.stop().await;
}

#[tokio::test]
async fn cancel_stops_a_run_within_200_ms_and_frees_its_slot() {
    let r = Runner::start(slots(1, 1)).await;
    let mut long = request("long.sh", "echo started; sleep 1000", limits());
    long.run_id = "long".into();
    let mut stream = r.client.clone().run(long).await.unwrap().into_inner();
    let mut waiting = request("next.py", "print('next ran')", limits());
    waiting.run_id = "next".into();
    let next = r.client.clone().run(waiting).await.unwrap().into_inner();
    let next = tokio::spawn(collect(next));
    // Wait until the program is really running (its first output).
    loop {
        let e = stream.message().await.unwrap().unwrap();
        if matches!(e.event, Some(Event::Output(_))) {
            break;
        }
    }
    let asked = Instant::now();
    assert!(r.cancel("long").await);
    let ran = collect(stream).await;
    let took = asked.elapsed();
    assert_eq!(ran.killed(), Some(KillReason::Cancelled), "{ran:?}");
    assert!(took < Duration::from_millis(200), "cancelled in {took:?}");
    let next = next.await.unwrap();
    assert_eq!(
        next.stdout(),
        "next ran\n",
        "the freed slot went to the queue"
    );
    assert_eq!(next.positions, vec![1]);
    assert!(
        !r.cancel("long").await,
        "a finished run is no longer cancellable"
    );
    r.stop().await;
}

#[tokio::test]
async fn cancelling_a_queued_run_and_dropping_a_stream() {
    let r = Runner::start(slots(1, 1)).await;
    let mut long = request("long.sh", "sleep 1000", limits());
    long.run_id = "holder".into();
    let holder = r.client.clone().run(long).await.unwrap().into_inner();
    let mut queued = request("q.sh", "echo never", limits());
    queued.run_id = "queued".into();
    let queued = r.client.clone().run(queued).await.unwrap().into_inner();
    assert!(r.cancel("queued").await);
    let ran = collect(queued).await;
    assert_eq!(ran.killed(), Some(KillReason::Cancelled));
    assert!(ran.started.is_none() && ran.stdout.is_empty(), "{ran:?}");
    // A client that goes away cancels its run and frees the slot.
    drop(holder);
    let deadline = Instant::now() + Duration::from_secs(5);
    while r.health().await.running > 0 {
        assert!(
            Instant::now() < deadline,
            "the dropped run still holds its slot"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ran = r.run("after.py", "print('free')", limits()).await;
    assert_eq!(ran.stdout(), "free\n");
    r.stop().await;
}

#[tokio::test]
async fn a_full_queue_refuses_and_duplicate_ids_are_refused() {
    let r = Runner::start(Settings {
        queue: Some(1),
        ..slots(1, 1)
    })
    .await;
    let mut a = request("a.sh", "sleep 1000", limits());
    a.run_id = "a".into();
    let _a = r.client.clone().run(a.clone()).await.unwrap();
    let dup = r.client.clone().run(a).await.unwrap_err();
    assert_eq!(dup.code(), tonic::Code::AlreadyExists);
    let mut b = request("b.sh", "true", limits());
    b.run_id = "b".into();
    let _b = r.client.clone().run(b).await.unwrap();
    let mut c = request("c.sh", "true", limits());
    c.run_id = "c".into();
    let full = r.client.clone().run(c).await.unwrap_err();
    assert_eq!(full.code(), tonic::Code::ResourceExhausted);
    r.stop().await;
}
