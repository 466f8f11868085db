//! The room as one editor sees it (sans-IO over the replica): the buffers it has open, local
//! edits into the room, what each buffer lacks as remote edits, the file list, and remote
//! cursors in the editor's offsets. The shell around it owns the connection and the stdio.

use std::collections::{BTreeMap, HashMap};

use yrs::{Doc, GetString, Text, Transact};

use protocol::schema;

use crate::buffer::Change;
use crate::presence::{Caret, LeaseRange};
use crate::wire::{Event, FileInfo, Lease, RemoteCursor, WireChange, code};
use crate::{Buffer, Units};

/// The origin of the editor's transactions, so they can be told apart in the replica.
pub const EDITOR_ORIGIN: &str = "tandem:editor";

pub struct Session {
    doc: Doc,
    units: Units,
    read_only: bool,
    buffers: HashMap<String, Buffer>,
    files_sent: Option<Vec<FileInfo>>,
    cursors_sent: HashMap<String, (Vec<RemoteCursor>, Vec<Lease>)>,
}

impl Session {
    pub fn new(doc: Doc, units: Units, read_only: bool) -> Session {
        Session {
            doc,
            units,
            read_only,
            buffers: HashMap::new(),
            files_sent: None,
            cursors_sent: HashMap::new(),
        }
    }

    pub fn doc(&self) -> &Doc {
        &self.doc
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    pub fn is_open(&self, path: &str) -> bool {
        self.buffers.contains_key(path)
    }

    /// Binds the editor's buffer for `path` (creating an empty file when asked); the answer
    /// carries the text and counter 0, which the editor acknowledges with `applied`.
    pub fn open(&mut self, path: &str, create: bool) -> Result<String, (&'static str, String)> {
        let text = match schema::read_file(&self.doc, path) {
            Some(t) => t,
            None if create && !self.read_only && schema::valid_file_path(path) => {
                let mut txn = self.doc.transact_mut_with(EDITOR_ORIGIN);
                schema::write_file(&mut txn, path, "");
                String::new()
            }
            None => return Err((code::NO_SUCH_FILE, format!("no file {path} in the room"))),
        };
        self.buffers
            .insert(path.to_owned(), Buffer::opening(self.units, &text));
        self.cursors_sent.remove(path);
        Ok(text)
    }

    pub fn close(&mut self, path: &str) {
        self.buffers.remove(path);
        self.cursors_sent.remove(path);
    }

    /// The person's edit: into the room (rebased when the buffer lags), then whatever the
    /// buffer still lacks. A read-only seat or an edit that does not fit gets an error and the
    /// room's text back.
    pub fn edit(&mut self, path: &str, tick: u64, changes: &[WireChange]) -> Vec<Event> {
        let Some(buffer) = self.buffers.get_mut(path) else {
            return vec![not_open(path)];
        };
        let changes: Vec<Change> = changes
            .iter()
            .map(|c| Change {
                from: c.from,
                to: c.to,
                text: c.text.clone(),
            })
            .collect();
        // The room's text is read and written in one transaction: the connection applies
        // remote updates from another task, and byte offsets computed on an older text could
        // land inside someone else's character.
        let files = schema::files(&self.doc);
        let mut txn = self.doc.transact_mut_with(EDITOR_ORIGIN);
        let Some(text) = schema::file_text(&txn, &files, path) else {
            return vec![no_such_file(path)];
        };
        let room = text.get_string(&txn);
        let refused = |buffer: &mut Buffer, code, message: String| {
            let base = buffer.resync(&room);
            vec![
                Event::Error {
                    re: None,
                    code,
                    message,
                },
                Event::Resync {
                    path: path.to_owned(),
                    base,
                    text: room.clone(),
                },
            ]
        };
        if self.read_only {
            // Keep the counter so the resync's answer is recognised.
            let _ = buffer.local(&room, tick, &[]);
            return refused(buffer, code::FORBIDDEN, "this link is read-only".into());
        }
        match buffer.local(&room, tick, &changes) {
            Ok(bytes) => {
                for c in bytes {
                    if !c.delete.is_empty() {
                        text.remove_range(&mut txn, c.delete.start as u32, c.delete.len() as u32);
                    }
                    if !c.insert.is_empty() {
                        text.insert(&mut txn, c.delete.start as u32, &c.insert);
                    }
                }
            }
            Err(e) => {
                tracing::warn!(path, error = %e, "an edit that does not fit; resyncing");
                return refused(buffer, code::BAD_RANGE, e.to_string());
            }
        }
        drop(txn);
        self.refresh_one(path)
    }

    /// The editor applied what it was sent on `base`.
    pub fn applied(&mut self, path: &str, base: u64, tick: u64) -> Vec<Event> {
        match self.buffers.get_mut(path) {
            Some(b) => {
                if !b.applied(base, tick) {
                    tracing::debug!(path, base, tick, "an answer to nothing pending");
                }
                self.refresh_one(path)
            }
            None => Vec::new(),
        }
    }

    /// Remote edits for every buffer that lacks something, buffers whose file is gone, and
    /// the file list when it changed.
    pub fn refresh(&mut self) -> Vec<Event> {
        // This runs on every change to the room: only open files' texts are read, and the
        // others only when a file comes or goes.
        let mut out = Vec::new();
        let open: Vec<String> = self.buffers.keys().cloned().collect();
        for path in open {
            match schema::read_file(&self.doc, &path) {
                Some(room) => out.extend(self.remote(&path, &room)),
                None => {
                    self.close(&path);
                    out.push(Event::Closed {
                        path,
                        reason: "deleted",
                    });
                }
            }
        }
        let paths = schema::list_files(&self.doc);
        let same = self.files_sent.as_ref().is_some_and(|sent| {
            sent.len() == paths.len() && sent.iter().zip(&paths).all(|(f, p)| &f.path == p)
        });
        if !same {
            let files = file_list(&schema::file_contents(&self.doc));
            self.files_sent = Some(files.clone());
            out.push(Event::Files { files });
        }
        out
    }

    fn refresh_one(&mut self, path: &str) -> Vec<Event> {
        match schema::read_file(&self.doc, path) {
            Some(room) => self.remote(path, &room),
            None => Vec::new(),
        }
    }

    fn remote(&mut self, path: &str, room: &str) -> Vec<Event> {
        let Some(buffer) = self.buffers.get_mut(path) else {
            return Vec::new();
        };
        buffer
            .remote(room)
            .map(|e| Event::RemoteEdit {
                path: path.to_owned(),
                base: e.base,
                changes: e
                    .changes
                    .into_iter()
                    .map(|c| WireChange {
                        from: c.from,
                        to: c.to,
                        text: c.text,
                    })
                    .collect(),
            })
            .into_iter()
            .collect()
    }

    /// Editor offsets of `path` as bytes of the room's text (for our published cursor).
    pub fn to_room(&self, path: &str, offset: usize) -> Option<usize> {
        let room = schema::read_file(&self.doc, path)?;
        self.buffers.get(path)?.to_room(&room, offset)
    }

    /// `cursors` for each open file whose remote carets or leases changed.
    pub fn cursors(&mut self, carets: &[Caret], leases: &[LeaseRange]) -> Vec<Event> {
        let mut out = Vec::new();
        let paths: Vec<String> = self.buffers.keys().cloned().collect();
        for path in paths {
            let Some(room) = schema::read_file(&self.doc, &path) else {
                continue;
            };
            let buffer = &self.buffers[&path];
            let at = |byte: usize| buffer.from_room(&room, byte.min(room.len()));
            let cs: Vec<RemoteCursor> = carets
                .iter()
                .filter(|c| c.file == path)
                .filter_map(|c| {
                    Some(RemoteCursor {
                        client: c.client,
                        name: c.name.clone(),
                        color: c.color.clone(),
                        kind: c.kind.clone(),
                        anchor: at(c.anchor)?,
                        head: at(c.head)?,
                    })
                })
                .collect();
            let ls: Vec<Lease> = leases
                .iter()
                .filter(|l| l.file == path)
                .filter_map(|l| {
                    Some(Lease {
                        name: l.name.clone(),
                        from: at(l.from)?,
                        to: at(l.to)?,
                    })
                })
                .collect();
            let now = (cs, ls);
            if self.cursors_sent.get(&path) != Some(&now) {
                self.cursors_sent.insert(path.clone(), now.clone());
                out.push(Event::Cursors {
                    path,
                    cursors: now.0,
                    leases: now.1,
                });
            }
        }
        out
    }

    /// A caret's offset in the editor's unit, for `follow_target` (the file need not be open).
    pub fn offset_of(&self, path: &str, byte: usize) -> Option<usize> {
        let room = schema::read_file(&self.doc, path)?;
        match self.buffers.get(path) {
            Some(b) => b.from_room(&room, byte.min(room.len())),
            None => {
                let byte = byte.min(room.len());
                room.is_char_boundary(byte)
                    .then(|| self.units.from_byte(&room, byte))
            }
        }
    }

    /// Whether every open buffer holds the room's text and awaits nothing (for tests).
    pub fn settled(&self) -> bool {
        let files = schema::files(&self.doc);
        let txn = self.doc.transact();
        self.buffers.iter().all(|(path, b)| {
            !b.is_pending()
                && schema::file_text(&txn, &files, path).map(|t| t.get_string(&txn))
                    == Some(b.text().to_owned())
        })
    }
}

fn file_list(contents: &BTreeMap<String, String>) -> Vec<FileInfo> {
    contents
        .iter()
        .map(|(path, text)| FileInfo {
            path: path.clone(),
            size: text.len(),
        })
        .collect()
}

fn no_such_file(path: &str) -> Event {
    Event::Error {
        re: None,
        code: code::NO_SUCH_FILE,
        message: format!("no file {path} in the room"),
    }
}

fn not_open(path: &str) -> Event {
    Event::Error {
        re: None,
        code: code::BAD_MESSAGE,
        message: format!("{path} is not open: send `open` first"),
    }
}
