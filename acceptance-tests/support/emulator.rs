//! Starts and controls the local AWS emulator (acceptance-tests/emulator/run).
