//! Restarts and crashes: graceful restart, kill -9 in strict and batched durability.
