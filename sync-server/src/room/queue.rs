//! A bounded single-consumer queue that allocates nothing until used. Every connection (its
//! outbound queue) and every room (its inbox) has one; tokio's mpsc allocates a 32-slot block and
//! its channel state up front, a few KB per idle room, which dominates the memory of quiet rooms.
//!
//! Policy when full: `try_send` fails and hands the item back (a room then closes that connection
//! with 4408); `send` waits for space (backpressure). Nothing is ever dropped silently.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

/// Above this many slots, a drained queue gives its memory back.
const SHRINK_ABOVE: usize = 64;

struct Inner<T> {
    items: Mutex<VecDeque<T>>,
    capacity: usize,
    notify: Notify,
    /// Wakes senders waiting for space.
    space: Notify,
    receiver_gone: AtomicBool,
    senders: AtomicUsize,
}

impl<T> Inner<T> {
    fn items(&self) -> MutexGuard<'_, VecDeque<T>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub struct Sender<T>(Arc<Inner<T>>);
pub struct Receiver<T>(Arc<Inner<T>>);

/// A queue holding at most `capacity` items.
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        items: Mutex::new(VecDeque::new()),
        capacity,
        notify: Notify::new(),
        space: Notify::new(),
        receiver_gone: AtomicBool::new(false),
        senders: AtomicUsize::new(1),
    });
    (Sender(inner.clone()), Receiver(inner))
}

impl<T> Sender<T> {
    /// Queues an item; gives it back if the queue is full or the receiver is gone.
    pub fn try_send(&self, item: T) -> Result<(), T> {
        if self.0.receiver_gone.load(Ordering::Acquire) {
            return Err(item);
        }
        {
            let mut q = self.0.items();
            if q.len() >= self.0.capacity {
                return Err(item);
            }
            q.push_back(item);
        }
        self.0.notify.notify_one();
        Ok(())
    }

    /// Queues an item, waiting while the queue is full; gives it back if the receiver is gone.
    pub async fn send(&self, mut item: T) -> Result<(), T> {
        loop {
            // Registered before the attempt, so space freed in between is not missed.
            let space = self.0.space.notified();
            tokio::pin!(space);
            space.as_mut().enable();
            match self.try_send(item) {
                Ok(()) => return Ok(()),
                Err(back) if self.is_closed() => return Err(back),
                Err(back) => item = back,
            }
            space.await;
        }
    }

    pub fn is_closed(&self) -> bool {
        self.0.receiver_gone.load(Ordering::Acquire)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.0.senders.fetch_add(1, Ordering::AcqRel);
        Sender(self.0.clone())
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.0.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.notify.notify_one();
        }
    }
}

impl<T> Receiver<T> {
    pub fn try_recv(&mut self) -> Option<T> {
        let item = {
            let mut q = self.0.items();
            let item = q.pop_front();
            if q.is_empty() && q.capacity() > SHRINK_ABOVE {
                *q = VecDeque::new();
            }
            item
        };
        if item.is_some() {
            self.0.space.notify_one();
        }
        item
    }

    /// Refuses further items; those already queued can still be taken with `try_recv`.
    pub fn close(&mut self) {
        self.0.receiver_gone.store(true, Ordering::Release);
        self.0.space.notify_waiters();
    }

    /// The next item, or `None` once every sender is gone and the queue is empty.
    pub async fn recv(&mut self) -> Option<T> {
        loop {
            if let Some(item) = self.try_recv() {
                return Some(item);
            }
            if self.0.senders.load(Ordering::Acquire) == 0 {
                return None;
            }
            // A notify_one with no waiter leaves a permit, so a send between the check above
            // and this await is not missed.
            self.0.notify.notified().await;
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bounded_fifo_that_reports_full_and_closed() {
        let (tx, mut rx) = channel::<u32>(2);
        assert!(tx.try_send(1).is_ok());
        assert!(tx.try_send(2).is_ok());
        assert_eq!(tx.try_send(3), Err(3), "full: the item comes back");
        assert_eq!(rx.recv().await, Some(1));
        assert!(tx.try_send(3).is_ok());
        assert_eq!(rx.try_recv(), Some(2));
        assert_eq!(rx.try_recv(), Some(3));
        let tx2 = tx.clone();
        drop(tx);
        assert!(tx2.try_send(4).is_ok());
        drop(tx2);
        assert_eq!(rx.recv().await, Some(4));
        assert_eq!(rx.recv().await, None, "all senders gone");
        let (tx, rx) = channel::<u32>(1);
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(tx.try_send(9), Err(9));
    }

    #[tokio::test]
    async fn send_waits_for_space_and_fails_once_closed() {
        let (tx, mut rx) = channel::<u32>(1);
        tx.send(1).await.unwrap();
        let tx2 = tx.clone();
        let blocked = tokio::spawn(async move { tx2.send(2).await });
        tokio::task::yield_now().await;
        assert!(!blocked.is_finished(), "full: the sender waits");
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(blocked.await.unwrap(), Ok(()));
        assert_eq!(rx.try_recv(), Some(2));
        tx.send(3).await.unwrap();
        let tx3 = tx.clone();
        let waiting = tokio::spawn(async move { tx3.send(4).await });
        tokio::task::yield_now().await;
        rx.close();
        assert_eq!(
            waiting.await.unwrap(),
            Err(4),
            "closing wakes waiting senders"
        );
        assert_eq!(rx.try_recv(), Some(3), "queued items survive close");
        assert_eq!(tx.send(5).await, Err(5));
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken_by_a_send_from_another_task() {
        let (tx, mut rx) = channel::<u32>(8);
        let waiter = tokio::spawn(async move { rx.recv().await });
        tokio::task::yield_now().await;
        tx.try_send(7).unwrap();
        assert_eq!(waiter.await.unwrap(), Some(7));
    }
}
