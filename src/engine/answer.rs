//! What a scenario that answers its caller (`--respond`, SPEC §6) asks of
//! a cycle's outcome beyond success: an answer that can be sent.

use crate::respond::{self, Respond};

/// How much of stdout is kept whole for a scenario that answers its caller.
pub const STDOUT_CAP: usize = 16 << 20;

/// Why a successful command's answer cannot be sent to its caller: that
/// makes the cycle a failed one.
pub(super) fn unsendable(mode: Respond, stdout: &[u8], cut: bool) -> Option<String> {
    if cut {
        return Some(format!(
            "the answer on stdout is larger than {}",
            crate::units::Size(STDOUT_CAP as u64)
        ));
    }
    match mode {
        Respond::Envelope => respond::reply(mode, 200, &[], stdout).err(),
        Respond::Stdout => None,
    }
}
