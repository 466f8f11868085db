//! tandem-bridge: gives an editor (Neovim, VS Code) a seat in a Tandem room. This first slice is
//! the sans-IO core of PROTOCOL.md's edit exchange: offsets in the editor's unit, and the
//! editor's buffer as the bridge knows it, stamped with the editor's change counter, so that a
//! remote edit computed against a stale buffer is never applied and is re-derived instead.

pub mod buffer;
pub mod units;

pub use buffer::{Buffer, BufferError, Change, RemoteEdit};
pub use units::Units;
