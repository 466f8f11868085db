//! Seeded random peers editing, disconnecting and reconnecting converge, also across a restart.
