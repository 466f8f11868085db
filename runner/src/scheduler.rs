//! Which run goes next: a fixed number of slots, a per-room cap, first come first served among
//! the rest. Pure bookkeeping (no IO, no clocks) so every ordering can be tested directly.

use std::collections::{HashMap, VecDeque};

/// What happened to a submitted run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admit {
    /// A slot was free: start it now.
    Start,
    /// Waiting, at this 1-based place in the queue.
    Queued(u32),
    /// The queue is full: refuse.
    Full,
    /// This room already has its share of the queue waiting: refuse (others still get in).
    RoomFull,
}

#[derive(Debug)]
pub struct Scheduler {
    slots: usize,
    per_room: usize,
    queue_max: usize,
    per_room_queue: usize,
    /// Running run id -> its room.
    running: HashMap<String, String>,
    per_room_running: HashMap<String, usize>,
    /// Waiting (run id, room), oldest first.
    queue: VecDeque<(String, String)>,
}

impl Scheduler {
    pub fn new(slots: usize, per_room: usize, queue_max: usize, per_room_queue: usize) -> Self {
        Scheduler {
            slots,
            per_room: per_room.min(slots),
            queue_max,
            per_room_queue,
            running: HashMap::new(),
            per_room_running: HashMap::new(),
            queue: VecDeque::new(),
        }
    }

    pub fn running(&self) -> usize {
        self.running.len()
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    pub fn is_known(&self, id: &str) -> bool {
        self.running.contains_key(id) || self.queue.iter().any(|(q, _)| q == id)
    }

    pub fn submit(&mut self, id: &str, room: &str) -> Admit {
        if self.can_start(room) {
            self.start(id.to_owned(), room.to_owned());
            return Admit::Start;
        }
        if self.queue.len() >= self.queue_max {
            return Admit::Full;
        }
        if self.queue.iter().filter(|(_, r)| r == room).count() >= self.per_room_queue {
            return Admit::RoomFull;
        }
        self.queue.push_back((id.to_owned(), room.to_owned()));
        Admit::Queued(self.queue.len() as u32)
    }

    /// A running run ended: frees its slot. Returns the queued runs that start now, in order.
    pub fn finish(&mut self, id: &str) -> Vec<String> {
        if let Some(room) = self.running.remove(id)
            && let Some(n) = self.per_room_running.get_mut(&room)
        {
            *n -= 1;
            if *n == 0 {
                self.per_room_running.remove(&room);
            }
        }
        self.promote()
    }

    /// Takes a run out of the queue (cancelled while waiting). False if it was not queued.
    pub fn remove_queued(&mut self, id: &str) -> bool {
        let before = self.queue.len();
        self.queue.retain(|(q, _)| q != id);
        before != self.queue.len()
    }

    /// Every queued run's 1-based place, oldest first.
    pub fn positions(&self) -> impl Iterator<Item = (&str, u32)> {
        self.queue
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (id.as_str(), i as u32 + 1))
    }

    fn can_start(&self, room: &str) -> bool {
        self.running.len() < self.slots
            && self.per_room_running.get(room).copied().unwrap_or(0) < self.per_room
    }

    fn start(&mut self, id: String, room: String) {
        *self.per_room_running.entry(room.clone()).or_default() += 1;
        self.running.insert(id, room);
    }

    /// Starts the oldest queued runs whose room is under its cap, while slots are free. A room
    /// at its cap does not hold back the rooms queued behind it.
    fn promote(&mut self) -> Vec<String> {
        let mut started = Vec::new();
        let mut i = 0;
        while i < self.queue.len() && self.running.len() < self.slots {
            if self.can_start(&self.queue[i].1) {
                let (id, room) = self.queue.remove(i).expect("index checked");
                started.push(id.clone());
                self.start(id, room);
            } else {
                i += 1;
            }
        }
        started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_of_three_times_the_slots_drains_in_order() {
        let mut s = Scheduler::new(2, 2, 64, 64);
        let ids: Vec<String> = (0..8).map(|i| format!("r{i}")).collect();
        let admits: Vec<Admit> = ids.iter().map(|id| s.submit(id, "room")).collect();
        assert_eq!(admits[..2], [Admit::Start, Admit::Start]);
        assert_eq!(admits[2..], (1..=6).map(Admit::Queued).collect::<Vec<_>>());
        let mut order = vec!["r0".to_string(), "r1".to_string()];
        let mut i = 0;
        while i < order.len() {
            let done = order[i].clone();
            order.extend(s.finish(&done));
            i += 1;
        }
        assert_eq!(order, ids, "FIFO");
        assert_eq!((s.running(), s.queued()), (0, 0));
    }

    #[test]
    fn one_room_cannot_take_every_slot() {
        let mut s = Scheduler::new(2, 1, 64, 64);
        assert_eq!(s.submit("a1", "a"), Admit::Start);
        assert_eq!(
            s.submit("a2", "a"),
            Admit::Queued(1),
            "room a is at its cap"
        );
        assert_eq!(
            s.submit("b1", "b"),
            Admit::Start,
            "room b still gets the free slot"
        );
        assert_eq!(s.submit("b2", "b"), Admit::Queued(2));
        assert_eq!(s.submit("c1", "c"), Admit::Queued(3), "no slot left");
        // b1 ends: a2 is still blocked by a1, so b2 (next eligible) starts.
        assert_eq!(s.finish("b1"), vec!["b2".to_string()]);
        assert_eq!(s.positions().collect::<Vec<_>>(), [("a2", 1), ("c1", 2)]);
        assert_eq!(s.finish("a1"), vec!["a2".to_string()]);
        assert_eq!(s.finish("b2"), vec!["c1".to_string()]);
    }

    #[test]
    fn full_queue_and_cancel_while_waiting() {
        let mut s = Scheduler::new(1, 1, 2, 2);
        assert_eq!(s.submit("x", "r"), Admit::Start);
        assert_eq!(s.submit("y", "r"), Admit::Queued(1));
        assert_eq!(s.submit("z", "r"), Admit::Queued(2));
        assert_eq!(s.submit("w", "r"), Admit::Full);
        assert!(s.is_known("z") && !s.is_known("w"));
        assert!(s.remove_queued("y"));
        assert!(!s.remove_queued("y"));
        assert_eq!(s.positions().collect::<Vec<_>>(), [("z", 1)]);
        assert_eq!(s.finish("x"), vec!["z".to_string()]);
        assert_eq!(s.finish("nope"), Vec::<String>::new());
    }

    #[test]
    fn one_room_cannot_fill_the_queue() {
        let mut s = Scheduler::new(1, 1, 10, 2);
        assert_eq!(s.submit("a0", "a"), Admit::Start);
        assert_eq!(s.submit("a1", "a"), Admit::Queued(1));
        assert_eq!(s.submit("a2", "a"), Admit::Queued(2));
        assert_eq!(s.submit("a3", "a"), Admit::RoomFull);
        assert_eq!(
            s.submit("b1", "b"),
            Admit::Queued(3),
            "another room still gets in"
        );
    }
}
