//! One joined room: the replica kept in sync by `protocol::client`, the editor's session on it,
//! the chat and run feeds, presence both ways, and the connection state as the editor sees it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{Notify, mpsc};
use yrs::{Doc, OffsetKind, Options};

use protocol::client::{Client, ClientOptions};
use protocol::close;

use crate::chat_feed::{self, ChatFeed};
use crate::link::Target;
use crate::presence;
use crate::run_feed::RunFeed;
use crate::session::Session;
use crate::wire::{Event, Person};
use crate::{BridgeError, Config, Units};

/// Messages from tasks the room started (HTTP calls), back to the loop.
#[derive(Debug)]
pub enum Internal {
    Emit(Event),
    /// The link was refused while reconnecting: end the session.
    Refused(u16),
}

pub struct Joined {
    pub target: Target,
    pub name: String,
    color: &'static str,
    client: Client,
    session: Session,
    chat: ChatFeed,
    runs: RunFeed,
    http: reqwest::Client,
    /// Woken by every change to the replica.
    pub changed: Arc<Notify>,
    state_sent: Option<&'static str>,
    people_sent: Vec<Person>,
    follow: Option<String>,
    follow_sent: Option<(String, usize)>,
    cursor: Option<(String, usize, usize)>,
    cursor_dirty: bool,
    last_chat: Instant,
    last_check: Instant,
    ever_synced: bool,
    closed: bool,
}

impl Joined {
    pub fn start(target: Target, name: String, units: Units) -> Joined {
        let doc = Doc::with_options(Options {
            offset_kind: OffsetKind::Bytes,
            ..Options::default()
        });
        let changed = Arc::new(Notify::new());
        let notify = changed.clone();
        // The replica is new and unshared: no transaction can be open.
        let _ = doc.observe_update_v1("tandem:bridge", move |_, _| notify.notify_one());
        let client = Client::connect(target.sync_url(), doc.clone(), ClientOptions::default());
        let color = presence::color_for(&name);
        client.set_awareness(presence::local_state(&name, color, None));
        let read_only = target.read_only();
        Joined {
            target,
            name,
            color,
            client,
            session: Session::new(doc, units, read_only),
            chat: ChatFeed::default(),
            runs: RunFeed::default(),
            http: reqwest::Client::new(),
            changed,
            state_sent: None,
            people_sent: Vec::new(),
            follow: None,
            follow_sent: None,
            cursor: None,
            cursor_dirty: false,
            last_chat: Instant::now() - Duration::from_secs(1),
            last_check: Instant::now(),
            ever_synced: false,
            closed: false,
        }
    }

    pub fn session(&mut self) -> &mut Session {
        &mut self.session
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Returns once the replica was in sync at least once (it then holds the room's files,
    /// even offline).
    pub async fn first_sync(&self) {
        if !self.ever_synced {
            self.client.synced().await;
        }
    }

    /// After the replica changed: remote edits, file list, runs.
    pub fn on_change(&mut self) -> Vec<Event> {
        if !self.ever_synced {
            return Vec::new();
        }
        let mut out = self.session.refresh();
        out.extend(self.runs.poll(self.session.doc()));
        out
    }

    /// Periodic: connection state, presence, cursors, follow, chat.
    pub fn tick(&mut self, config: &Config, internal: &mpsc::Sender<Internal>) -> Vec<Event> {
        let mut out = Vec::new();
        let status = self.client.status();
        if let Some(code) = status
            .last_close
            .filter(|c| [close::UNAUTHORIZED, close::ROOM_DELETED].contains(c))
        {
            return self.close(Some(close::reason(code).to_owned()));
        }
        let state = if status.synced {
            "synced"
        } else if self.ever_synced || status.connections > 0 {
            "reconnecting"
        } else {
            "connecting"
        };
        if self.state_sent != Some(state) {
            self.state_sent = Some(state);
            out.push(self.state_event(state, None));
        }
        if state == "synced" && !self.ever_synced {
            self.ever_synced = true;
            out.extend(self.session.refresh());
            out.extend(self.runs.poll(self.session.doc()));
        }
        if state != "synced"
            && self.last_check.elapsed() >= Duration::from_millis(config.recheck_ms)
        {
            self.last_check = Instant::now();
            self.spawn_check(internal.clone());
        }
        if !self.ever_synced {
            return out;
        }
        if self.cursor_dirty {
            self.cursor_dirty = false;
            self.publish_cursor();
        }
        let me = self.client.doc().client_id().get();
        let presence = self.client.presence();
        let doc = self.session.doc().clone();
        let people = presence::people(&doc, &presence, me);
        if people != self.people_sent {
            self.people_sent = people.clone();
            out.push(Event::Presence { people });
        }
        let carets = presence::carets(&doc, &presence, me);
        let leases = presence::leases(&doc, &presence, me, protocol::chat::now_ms());
        out.extend(self.session.cursors(&carets, &leases));
        if let Some(name) = &self.follow {
            let target = carets
                .iter()
                .find(|c| &c.name == name)
                .and_then(|c| Some((c.file.clone(), self.session.offset_of(&c.file, c.head)?)));
            if let Some((path, offset)) = target
                && self.follow_sent.as_ref() != Some(&(path.clone(), offset))
            {
                self.follow_sent = Some((path.clone(), offset));
                out.push(Event::FollowTarget {
                    name: name.clone(),
                    path,
                    offset,
                });
            }
        }
        if self.last_chat.elapsed() >= config.chat_period() {
            self.last_chat = Instant::now();
            out.extend(self.chat.poll(&doc, config.chat_history));
        }
        out
    }

    fn state_event(&self, state: &'static str, reason: Option<String>) -> Event {
        Event::State {
            state,
            read_only: self.session.read_only(),
            reason,
        }
    }

    /// Ends the session for good (a refused link, a deleted room).
    pub fn close(&mut self, reason: Option<String>) -> Vec<Event> {
        if self.closed {
            return Vec::new();
        }
        self.closed = true;
        self.state_sent = Some("closed");
        vec![self.state_event("closed", reason)]
    }

    /// Leaves cleanly (close 1000).
    pub async fn leave(self) {
        self.client.close().await;
    }

    pub fn set_cursor(&mut self, path: &str, anchor: usize, head: usize) {
        self.cursor = Some((path.to_owned(), anchor, head));
        self.cursor_dirty = true;
    }

    fn publish_cursor(&mut self) {
        let cursor = self.cursor.as_ref().and_then(|(path, anchor, head)| {
            let a = self.session.to_room(path, *anchor)?;
            let h = self.session.to_room(path, *head)?;
            presence::cursor_json(self.session.doc(), path, a, h)
        });
        self.client
            .set_awareness(presence::local_state(&self.name, self.color, cursor));
    }

    pub fn follow(&mut self, name: Option<String>) {
        self.follow = name;
        self.follow_sent = None;
    }

    pub fn post(&self, text: &str) -> String {
        chat_feed::post(self.session.doc(), &self.name, text)
    }

    /// Starts a run through the HTTP API (so the room sees who asked); answers arrive on
    /// `internal`.
    pub fn spawn_run(
        &self,
        re: Option<Value>,
        entry: Option<String>,
        internal: mpsc::Sender<Internal>,
    ) {
        let url = format!(
            "{}/api/rooms/{}/runs",
            self.target.http,
            path_segment(&self.target.room)
        );
        let req = self
            .http
            .post(url)
            .bearer_auth(&self.target.token)
            .json(&serde_json::json!({ "entry": entry }));
        tokio::spawn(async move {
            let event = match req.send().await {
                Ok(resp) if resp.status().is_success() => match resp.json::<Value>().await {
                    Ok(v) => Event::RunStarted {
                        re,
                        run: v["id"].as_str().unwrap_or_default().to_owned(),
                    },
                    Err(e) => run_error(re, crate::wire::code::UNAVAILABLE, e.to_string()),
                },
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let body = resp.text().await.unwrap_or_default();
                    let code = match status {
                        401 => crate::wire::code::AUTH,
                        403 => crate::wire::code::FORBIDDEN,
                        400 | 404 => crate::wire::code::NO_SUCH_FILE,
                        _ => crate::wire::code::UNAVAILABLE,
                    };
                    run_error(re, code, format!("{status}: {body}"))
                }
                Err(e) => run_error(re, crate::wire::code::UNAVAILABLE, e.to_string()),
            };
            let _ = internal.send(Internal::Emit(event)).await;
        });
    }

    /// Asks the server whether the link still opens the room; a refusal ends the session.
    pub fn spawn_check(&self, internal: mpsc::Sender<Internal>) {
        let target = self.target.clone();
        let http = self.http.clone();
        tokio::spawn(async move {
            if let Err(BridgeError::Auth(status)) = check_access(&http, &target).await {
                let _ = internal.send(Internal::Refused(status)).await;
            }
        });
    }
}

fn run_error(re: Option<Value>, code: &'static str, message: String) -> Event {
    Event::Error { re, code, message }
}

fn path_segment(s: &str) -> String {
    let mut url = url::Url::parse("http://x/").expect("a constant URL");
    url.path_segments_mut().expect("http has paths").push(s);
    url.path().trim_start_matches('/').to_owned()
}

/// `GET /api/rooms/{room}/files` with the link's token: 401/403 mean the link is refused.
pub async fn check_access(http: &reqwest::Client, target: &Target) -> Result<(), BridgeError> {
    let url = format!(
        "{}/api/rooms/{}/files",
        target.http,
        path_segment(&target.room)
    );
    let resp = http
        .get(url)
        .bearer_auth(&target.token)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .map_err(|e| BridgeError::Unavailable(e.to_string()))?;
    match resp.status().as_u16() {
        s @ (401 | 403) => Err(BridgeError::Auth(s)),
        _ => Ok(()),
    }
}
