//! The body bytes that requests in progress may hold at once. A request
//! reserves its body's size before reading a byte of it, so concurrent
//! bodies cannot take the process's memory, and one hook can take at most
//! half of the budget, so it cannot starve the others.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

pub struct BodyBudget {
    total: u64,
    per_hook: u64,
    used: Mutex<Used>,
}

#[derive(Default)]
struct Used {
    total: u64,
    /// hook id → bytes its requests hold (no entry at zero).
    hooks: HashMap<i64, u64>,
}

/// Bytes a request may hold until dropped.
pub struct Reservation<'a> {
    budget: &'a BodyBudget,
    hook_id: i64,
    bytes: u64,
}

impl BodyBudget {
    pub fn new(total: u64) -> Self {
        BodyBudget {
            total,
            per_hook: total / 2,
            used: Mutex::default(),
        }
    }

    fn used(&self) -> MutexGuard<'_, Used> {
        self.used.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Body bytes reserved now, for `/metrics`.
    pub fn in_flight(&self) -> u64 {
        self.used().total
    }

    /// Reserve `bytes` for a request to `hook_id`; `None` if that would pass
    /// the budget or the hook's share of it.
    pub fn reserve(&self, hook_id: i64, bytes: u64) -> Option<Reservation<'_>> {
        let mut reservation = Reservation {
            budget: self,
            hook_id,
            bytes: 0,
        };
        reservation.grow(bytes).then_some(reservation)
    }
}

impl Reservation<'_> {
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Reserve `more` bytes; false (and nothing more reserved) if they do not
    /// fit.
    pub fn grow(&mut self, more: u64) -> bool {
        let budget = self.budget;
        let mut used = budget.used();
        let hook = used.hooks.get(&self.hook_id).copied().unwrap_or(0);
        if used.total.saturating_add(more) > budget.total
            || hook.saturating_add(more) > budget.per_hook
        {
            return false;
        }
        used.total += more;
        *used.hooks.entry(self.hook_id).or_default() += more;
        self.bytes += more;
        true
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.bytes == 0 {
            return;
        }
        let mut used = self.budget.used();
        used.total -= self.bytes;
        if let Some(hook) = used.hooks.get_mut(&self.hook_id) {
            *hook -= self.bytes;
            if *hook == 0 {
                used.hooks.remove(&self.hook_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hook_gets_half_the_budget_and_the_rest_goes_to_others() {
        let budget = BodyBudget::new(1000);
        let a = budget.reserve(1, 400).unwrap();
        assert!(budget.reserve(1, 200).is_none(), "past the hook's half");
        let b = budget.reserve(2, 500).unwrap();
        assert!(budget.reserve(3, 200).is_none(), "past the whole budget");
        assert_eq!(budget.in_flight(), 900);
        drop(a);
        assert!(budget.reserve(1, 500).is_some());
        drop(b);
        assert_eq!(budget.in_flight(), 0);
    }

    #[test]
    fn a_reservation_grows_while_it_fits() {
        let budget = BodyBudget::new(100);
        let mut r = budget.reserve(1, 0).unwrap();
        assert!(r.grow(30));
        assert!(r.grow(20));
        assert!(!r.grow(1), "a hook's half is 50");
        assert_eq!(r.bytes(), 50);
        drop(r);
        assert_eq!(budget.in_flight(), 0);
    }
}
