//! What the runner reports, as fields of the run's entry: queue position, start, and the final
//! status with its reason and measurements; runner errors as a sentence for the people in the room.

use runner::proto::{self, KillReason, finished::Status};

use super::doc::{self, Patch, number};

pub fn queued(p: &mut Patch, position: u32) {
    p.set(doc::STATUS, "queued");
    p.set(doc::QUEUE_POSITION, number(position));
}

pub fn started(p: &mut Patch, s: &proto::Started, now_ms: i64) {
    p.set(doc::STATUS, "running");
    p.remove(doc::QUEUE_POSITION);
    if !s.language.is_empty() {
        p.set(doc::LANG, s.language.as_str());
    }
    p.set(doc::STARTED_AT, number(now_ms));
    if let Some(l) = &s.limits {
        let limits: [(&str, u64); 8] = [
            ("wall_ms", l.wall_ms),
            ("cpu_ms", l.cpu_ms),
            ("memory_bytes", l.memory_bytes),
            ("pids", l.pids.into()),
            ("output_bytes", l.output_bytes),
            ("disk_bytes", l.disk_bytes),
            ("file_bytes", l.file_bytes),
            ("open_files", l.open_files.into()),
        ];
        let map: std::collections::HashMap<String, yrs::Any> = limits
            .iter()
            .map(|(k, v)| (k.to_string(), number(*v)))
            .collect();
        p.set(doc::LIMITS, yrs::Any::from(map));
    }
}

/// The runner's final event.
pub fn finished(p: &mut Patch, f: &proto::Finished, now_ms: i64) {
    let mut message = f.message.clone();
    match &f.status {
        Some(Status::Exited(code)) => {
            p.set(doc::STATUS, "exited");
            p.set(doc::EXIT_CODE, number(*code));
        }
        Some(Status::Killed(reason)) => {
            p.set(doc::STATUS, "killed");
            let reason = KillReason::try_from(*reason).unwrap_or_default();
            p.set(doc::REASON, kill_reason(reason));
        }
        Some(Status::Signaled(signal)) => {
            p.set(doc::STATUS, "signaled");
            p.set(doc::SIGNAL, number(*signal));
        }
        Some(Status::Failed(why)) => {
            p.set(doc::STATUS, "failed");
            message = why.clone();
        }
        None => {
            p.set(doc::STATUS, "failed");
            message = "the runner sent no status".into();
        }
    }
    p.set(doc::MESSAGE, message);
    p.set(doc::DURATION_MS, number(f.wall_ms));
    p.set(doc::CPU_MS, number(f.cpu_ms));
    p.set(doc::PEAK_MEMORY_BYTES, number(f.peak_memory_bytes));
    ended(p, now_ms);
}

/// The run could not run (or the runner could not be asked): status `failed`.
pub fn failed(p: &mut Patch, message: &str, now_ms: i64) {
    p.set(doc::STATUS, "failed");
    p.set(doc::MESSAGE, message);
    ended(p, now_ms);
}

/// The server ended the run without the runner's final word (a cancel the runner did not confirm
/// in time, or shutdown): status `killed`, reason `cancelled`.
pub fn cancelled(p: &mut Patch, message: &str, now_ms: i64) {
    p.set(doc::STATUS, "killed");
    p.set(doc::REASON, kill_reason(KillReason::Cancelled));
    p.set(doc::MESSAGE, message);
    ended(p, now_ms);
}

fn ended(p: &mut Patch, now_ms: i64) {
    p.remove(doc::QUEUE_POSITION);
    p.set(doc::FINISHED_AT, number(now_ms));
}

/// The `reason` field of a killed run.
pub fn kill_reason(r: KillReason) -> &'static str {
    match r {
        KillReason::Timeout => "timeout",
        KillReason::Cpu => "cpu",
        KillReason::Memory => "memory",
        KillReason::Pids => "pids",
        KillReason::Output => "output",
        KillReason::Disk => "disk",
        KillReason::Cancelled => "cancelled",
        KillReason::Unspecified => "unknown",
    }
}

/// A refused or broken runner call, for the run's `message`. Details a room member has no use
/// for (addresses, transport internals) go to the log only.
pub fn runner_error(s: &tonic::Status) -> String {
    tracing::warn!(code = ?s.code(), message = s.message(), "runner call failed");
    match s.code() {
        // The runner refuses a room with its share of the queue waiting with a message of its own.
        tonic::Code::ResourceExhausted if s.message().contains("this room") => {
            "runner queue full for this room".into()
        }
        tonic::Code::ResourceExhausted => "runner queue full".into(),
        tonic::Code::Unavailable => "runner unreachable".into(),
        tonic::Code::DeadlineExceeded => "runner did not answer in time".into(),
        // The runner's request size limit (`max_request_bytes`).
        tonic::Code::OutOfRange => {
            "the room's files (and stdin) are too large for the runner".into()
        }
        tonic::Code::InvalidArgument | tonic::Code::AlreadyExists => {
            format!("runner refused the run: {}", s.message())
        }
        code => format!("runner error ({code:?})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runs::doc::{NewRun, apply, insert};
    use yrs::{Doc, Transact};

    fn entry_after(patches: &[&Patch]) -> serde_json::Value {
        let doc = Doc::new();
        insert(
            &mut doc.transact_mut(),
            &NewRun {
                id: "r",
                lang: "auto",
                entry: "main.py",
                requested_by: "t",
                state_vector: "",
                ts_ms: 1,
            },
        );
        for p in patches {
            assert!(apply(&mut doc.transact_mut(), "r", p));
        }
        protocol::schema::export_json(&doc)["runs"][0].clone()
    }

    #[test]
    fn a_run_goes_from_queued_to_running_to_killed() {
        let (mut a, mut b, mut c) = (Patch::default(), Patch::default(), Patch::default());
        queued(&mut a, 3);
        let limits = proto::Limits {
            wall_ms: 10_000,
            ..Default::default()
        };
        started(
            &mut b,
            &proto::Started {
                run_id: "r".into(),
                language: "python".into(),
                limits: Some(limits),
            },
            5,
        );
        let fin = proto::Finished {
            status: Some(Status::Killed(KillReason::Timeout as i32)),
            wall_ms: 10_002,
            cpu_ms: 9_000,
            peak_memory_bytes: 1 << 20,
            message: "wall-clock limit of 10 s reached".into(),
        };
        finished(&mut c, &fin, 9);
        let queued_entry = entry_after(&[&a]);
        assert_eq!(queued_entry["queue_position"], 3.0);
        let running = entry_after(&[&a, &b]);
        assert_eq!(running["status"], "running");
        assert_eq!(running["lang"], "python");
        assert_eq!(running["limits"]["wall_ms"], 10_000.0);
        assert!(running.get("queue_position").is_none());
        let done = entry_after(&[&a, &b, &c]);
        assert_eq!(done["status"], "killed");
        assert_eq!(done["reason"], "timeout");
        assert_eq!(done["exit_code"], serde_json::Value::Null);
        assert_eq!(done["duration_ms"], 10_002.0);
        assert_eq!(done["message"], "wall-clock limit of 10 s reached");
    }

    #[test]
    fn exits_failures_and_runner_errors() {
        let mut p = Patch::default();
        let ok = proto::Finished {
            status: Some(Status::Exited(0)),
            ..Default::default()
        };
        finished(&mut p, &ok, 1);
        let e = entry_after(&[&p]);
        assert_eq!(
            (e["status"].as_str(), e["exit_code"].as_f64()),
            (Some("exited"), Some(0.0))
        );
        let mut p = Patch::default();
        let bad = proto::Finished {
            status: Some(Status::Failed("`zig` is not installed".into())),
            ..Default::default()
        };
        finished(&mut p, &bad, 1);
        assert_eq!(entry_after(&[&p])["message"], "`zig` is not installed");
        let full = tonic::Status::resource_exhausted("the run queue is full");
        assert_eq!(runner_error(&full), "runner queue full");
        let room_full = tonic::Status::resource_exhausted(
            "this room already has its share of the run queue waiting",
        );
        assert_eq!(runner_error(&room_full), "runner queue full for this room");
        let down = tonic::Status::unavailable("tcp connect error: 10.0.0.5:50051");
        assert!(!runner_error(&down).contains("10.0.0.5"));
    }
}
