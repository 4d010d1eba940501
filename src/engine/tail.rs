//! The part of a stream an operation keeps: its last bytes, read straight
//! into place however much comes.

use std::os::fd::RawFd;

/// How much of stdout and stderr an operation keeps: the last 64 KiB.
pub const TAIL: usize = 64 << 10;

/// The last `keep` bytes of a stream, and whether anything was dropped.
pub(super) struct Tail {
    bytes: Vec<u8>,
    keep: usize,
    cut: bool,
}

impl Tail {
    pub(super) fn new(keep: usize) -> Self {
        Tail {
            bytes: Vec::new(),
            keep,
            cut: false,
        }
    }

    /// One `read(2)` straight into the kept bytes (no zeroed buffer, no
    /// copy): what `read` returns.
    pub(super) fn read_from(&mut self, fd: RawFd) -> isize {
        const CHUNK: usize = 64 << 10;
        self.bytes.reserve(CHUNK);
        let spare = self.bytes.spare_capacity_mut();
        // SAFETY: reads into the Vec's spare capacity, at most its length.
        let n = unsafe { libc::read(fd, spare.as_mut_ptr().cast(), spare.len().min(CHUNK)) };
        if n > 0 {
            // SAFETY: read(2) initialized the first n bytes of the spare capacity.
            unsafe { self.bytes.set_len(self.bytes.len() + n as usize) };
            // Trim in large steps: amortized O(1) per byte.
            if self.bytes.len() > 2 * self.keep {
                self.bytes.drain(..self.bytes.len() - self.keep);
                self.cut = true;
            }
        }
        n
    }

    /// The kept bytes: at most `keep`.
    pub(super) fn finish(mut self) -> (Vec<u8>, bool) {
        if self.bytes.len() > self.keep {
            self.bytes.drain(..self.bytes.len() - self.keep);
            self.cut = true;
        }
        (self.bytes, self.cut)
    }
}

/// The last [`TAIL`] bytes: what an operation keeps.
pub fn tail(bytes: &[u8]) -> &[u8] {
    &bytes[bytes.len().saturating_sub(TAIL)..]
}
