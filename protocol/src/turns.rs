//! AI turns: the origin every transaction of a turn carries, and the undo that rejects exactly one
//! turn's changes to the files while every edit made by anyone else stays.
//!
//! A `TurnTracker` is a yrs `UndoManager` scoped to `files` that tracks only the turn's origin
//! and never splits its changes, so one undo removes the whole turn. It lives in the replica that
//! made the turn: undoing a deletion needs the deleted content, which that replica keeps (the
//! manager marks it) while others may have garbage-collected it.

use std::collections::HashSet;

use yrs::undo::Options;

use yrs::{Doc, Origin, UndoManager};

use crate::schema;

/// The origin of every transaction of turn `turn`: `ai:{turn}`.
pub fn origin(turn: u64) -> String {
    format!("ai:{turn}")
}

/// Records one turn's changes to the room's files, for rejecting it later.
pub struct TurnTracker {
    turn: u64,
    undo: UndoManager,
}

impl TurnTracker {
    /// Starts tracking `turn` in `doc`: from now on, its transactions (origin `ai:{turn}`) that
    /// touch `files` are recorded. No transaction may be open on `doc`.
    pub fn new(doc: &Doc, turn: u64) -> TurnTracker {
        let files = schema::files(doc);
        let mut tracked = HashSet::new();
        tracked.insert(Origin::from(origin(turn).as_str()));
        let options = Options {
            // One stack item for the whole turn, however long it takes.
            capture_timeout_millis: u64::MAX,
            tracked_origins: tracked,
            ..Options::default()
        };
        let mut undo = UndoManager::with_options(options);
        undo.expand_scope(doc, &files);
        TurnTracker { turn, undo }
    }

    pub fn turn(&self) -> u64 {
        self.turn
    }

    /// Whether the turn changed any file so far.
    pub fn changed(&self) -> bool {
        self.undo.can_undo()
    }

    /// Undoes the turn's changes to the files; returns whether anything changed. Edits by others
    /// (made before, during or after the turn) stay, including text typed inside the turn's
    /// insertions. No transaction may be open on the document.
    pub fn reject(&mut self) -> bool {
        let mut changed = false;
        while self.undo.can_undo() {
            changed |= self.undo.undo_blocking();
        }
        // A rejected turn cannot come back by accident.
        self.undo.clear_all();
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{read_file, write_file};
    use yrs::updates::decoder::Decode;
    use yrs::{ReadTxn, Text, Transact, Update};

    fn sync(from: &Doc, to: &Doc) {
        let sv = to.transact().state_vector();
        let update = from.transact().encode_state_as_update_v1(&sv);
        to.transact_mut()
            .apply_update(Update::decode_v1(&update).unwrap())
            .unwrap();
    }

    fn text(doc: &Doc, path: &str) -> yrs::TextRef {
        let files = schema::files(doc);
        let txn = doc.transact();
        schema::file_text(&txn, &files, path).unwrap()
    }

    #[test]
    fn rejecting_a_turn_keeps_human_edits_made_during_it() {
        let ai = Doc::with_client_id(1);
        let human = Doc::with_client_id(2);
        write_file(
            &mut human.transact_mut(),
            "a.py",
            "def f():\n    return 1\n",
        );
        sync(&human, &ai);

        let mut tracker = TurnTracker::new(&ai, 3);
        // The turn rewrites the body and adds a file.
        {
            let mut txn = ai.transact_mut_with(origin(3).as_str());
            write_file(&mut txn, "a.py", "def f():\n    return 42\n");
            write_file(&mut txn, "b.py", "print('new')\n");
        }
        // Meanwhile a human types at the top and inside the AI's new text.
        sync(&ai, &human);
        {
            let t = text(&human, "a.py");
            let mut txn = human.transact_mut();
            let inside = read_file(&ai, "a.py").unwrap().find("42").unwrap() as u32 + 1;
            t.insert(&mut txn, inside, "H");
            t.insert(&mut txn, 0, "# HUMAN\n");
        }
        sync(&human, &ai);
        // A later transaction of another turn is not part of this one.
        {
            let mut txn = ai.transact_mut_with(origin(4).as_str());
            write_file(&mut txn, "c.py", "other turn\n");
        }
        assert!(tracker.changed());

        assert!(tracker.reject());
        sync(&ai, &human);
        for doc in [&ai, &human] {
            assert_eq!(
                read_file(doc, "a.py").as_deref(),
                Some("# HUMAN\ndef f():\n    return 1H\n")
            );
            assert_eq!(read_file(doc, "b.py"), None);
            assert_eq!(read_file(doc, "c.py").as_deref(), Some("other turn\n"));
        }
        assert!(!tracker.reject(), "a second reject changes nothing");
    }

    #[test]
    fn a_deleted_file_comes_back_with_its_text() {
        let ai = Doc::with_client_id(1);
        write_file(&mut ai.transact_mut(), "gone.txt", "keep me 🎉\n");
        let mut tracker = TurnTracker::new(&ai, 1);
        schema::delete_file(&mut ai.transact_mut_with(origin(1).as_str()), "gone.txt");
        assert_eq!(read_file(&ai, "gone.txt"), None);
        assert!(tracker.reject());
        assert_eq!(read_file(&ai, "gone.txt").as_deref(), Some("keep me 🎉\n"));
        let fresh = Doc::new();
        sync(&ai, &fresh);
        assert_eq!(
            read_file(&fresh, "gone.txt").as_deref(),
            Some("keep me 🎉\n")
        );
    }
}
