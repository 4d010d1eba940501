//! The store interface on PostgreSQL: each method is the engine's own,
//! in the file of its role (admin, ingest, executions, leases, inspect);
//! this file only says which role each belongs to.

use anyhow::Result;

use super::PgStore;
use crate::clock::Millis;
use crate::lifecycle::{DisableReason, HookFacts};
use crate::store::{
    Ahead, ClaimedEvent, Committed, ConnectionStore, CycleEnd, DeleteStep, Enqueued, Enqueuing,
    Event, EventFilter, EventState, EventStore, ExecutionEnd, ExecutionRecord, ExecutionStatus,
    ExecutionStore, Hook, HookSettings, HookStore, Lingering, Location, NewEvent, NewOperation,
    Operation, OperationStatus, PurgeCursor, RefusalCount, Scenario, ScenarioSettings,
    ScenarioStore, ScenarioUpdate, Session, Started, Store, StoredConnection, SweepStore, Trigger,
    WakeUps,
};
use crate::verify::{Kind, Options};

impl Session for PgStore {
    fn location(&self) -> &Location {
        PgStore::location(self)
    }

    fn schema_version(&self) -> Result<usize> {
        PgStore::schema_version(self)
    }

    fn config_version(&self) -> Result<i64> {
        PgStore::config_version(self)
    }

    fn data_version(&self) -> Result<i64> {
        PgStore::data_version(self)
    }

    fn limit_size(&self, bytes: u64) -> Result<()> {
        PgStore::limit_size(self, bytes)
    }

    fn relax_durability(&self) -> Result<()> {
        PgStore::relax_durability(self)
    }

    fn defer_sync(&self) -> Result<()> {
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        PgStore::sync(self)
    }

    fn during_long_execution(
        &mut self,
        body: &mut dyn FnMut(&mut dyn Store) -> Result<()>,
    ) -> Result<()> {
        PgStore::during_long_execution(self, body)
    }

    fn still_in_place(&mut self) -> Result<()> {
        PgStore::still_in_place(self)
    }

    fn listen(&self) -> Result<Option<Box<dyn WakeUps>>> {
        Ok(Some(Box::new(super::listen::Listener::new(&self.url)?)))
    }
}

impl HookStore for PgStore {
    fn hooks(&self) -> Result<Vec<Hook>> {
        PgStore::hooks(self)
    }

    fn find_hook(&self, key: &str) -> Result<Option<Hook>> {
        PgStore::find_hook(self, key)
    }

    fn has_token(&self, token: &str) -> Result<bool> {
        PgStore::has_token(self, token)
    }

    fn create_hook(&mut self, name: &str, settings: &HookSettings, now: Millis) -> Result<Hook> {
        PgStore::create_hook(self, name, settings, now)
    }

    fn update_hook_settings(&mut self, id: i64, settings: &HookSettings) -> Result<()> {
        PgStore::update_hook_settings(self, id, settings)
    }

    fn enable_hook(&mut self, id: i64, now: Millis) -> Result<bool> {
        PgStore::enable_hook(self, id, now)
    }

    fn disable_hook(&mut self, id: i64, now: Millis, reason: &str) -> Result<bool> {
        PgStore::disable_hook(self, id, now, reason)
    }

    fn delete_hook_step(&mut self, hook: &Hook, batch: usize) -> Result<Option<u64>> {
        PgStore::delete_hook_step(self, hook, batch)
    }

    fn refusals(&self, hook_id: i64) -> Result<Vec<(u16, u64)>> {
        PgStore::refusals(self, hook_id)
    }
}

impl ConnectionStore for PgStore {
    fn connections(&self) -> Result<Vec<StoredConnection>> {
        PgStore::connections(self)
    }

    fn find_connection(&self, name: &str) -> Result<Option<StoredConnection>> {
        PgStore::find_connection(self, name)
    }

    fn create_connection(
        &mut self,
        name: &str,
        kind: Kind,
        secret: &str,
        options: &Options,
        now: Millis,
    ) -> Result<StoredConnection> {
        PgStore::create_connection(self, name, kind, secret, options, now)
    }

    fn rotate_connection(
        &mut self,
        connection: &StoredConnection,
        secret: &str,
        until: Millis,
    ) -> Result<StoredConnection> {
        PgStore::rotate_connection(self, connection, secret, until)
    }

    fn delete_connection(&mut self, connection: &StoredConnection) -> Result<()> {
        PgStore::delete_connection(self, connection)
    }
}

impl ScenarioStore for PgStore {
    fn scenarios(&self) -> Result<Vec<Scenario>> {
        PgStore::scenarios(self)
    }

    fn find_scenario(&self, name: &str) -> Result<Option<Scenario>> {
        PgStore::find_scenario(self, name)
    }

    fn scenario_by_id(&self, id: i64) -> Result<Option<Scenario>> {
        PgStore::scenario_by_id(self, id)
    }

    fn create_scenario(
        &mut self,
        name: &str,
        hook_id: i64,
        settings: &ScenarioSettings,
        active: bool,
        now: Millis,
    ) -> Result<Scenario> {
        PgStore::create_scenario(self, name, hook_id, settings, active, now)
    }

    fn update_scenario(
        &mut self,
        scenario: &Scenario,
        hook_id: i64,
        settings: &ScenarioSettings,
        now: Millis,
    ) -> Result<()> {
        PgStore::update_scenario(self, scenario, hook_id, settings, now)
    }

    fn set_scenario_waiting(&self, id: i64, since: Option<Millis>) -> Result<()> {
        PgStore::set_scenario_waiting(self, id, since)
    }

    fn set_scenario_active(&mut self, id: i64, active: bool, now: Millis) -> Result<bool> {
        PgStore::set_scenario_active(self, id, active, now)
    }

    fn delete_scenario_step(
        &mut self,
        scenario: &Scenario,
        batch: usize,
        now: Millis,
    ) -> Result<Option<u64>> {
        PgStore::delete_scenario_step(self, scenario, batch, now)
    }
}

impl EventStore for PgStore {
    /// Starts no execution: see the trait.
    fn enqueue_starting(
        &mut self,
        events: &[NewEvent],
        refusals: &[RefusalCount],
        lingering: &[Lingering],
        before_commit: &mut dyn FnMut(&[Enqueued]),
    ) -> Result<Enqueuing> {
        let outcomes = PgStore::enqueue_then(self, events, refusals, before_commit)?;
        Ok(Enqueuing {
            outcomes,
            started: lingering.iter().map(|_| None).collect(),
            // Durable when committed: nothing to reserve.
            ids_reserved: true,
        })
    }

    fn queue_depths(&self) -> Result<Vec<(i64, u64)>> {
        PgStore::queue_depths(self)
    }

    fn events(
        &self,
        hook_id: i64,
        filter: &EventFilter,
        newest_first: bool,
        limit: u64,
    ) -> Result<Vec<Event>> {
        PgStore::events(self, hook_id, filter, newest_first, limit)
    }

    fn newest_events(
        &self,
        hook_id: i64,
        states: &[EventState],
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Event>> {
        PgStore::newest_events(self, hook_id, states, before, limit)
    }

    fn find_event(&self, id: i64) -> Result<Option<Event>> {
        PgStore::find_event(self, id)
    }

    fn payload(&self, event_id: i64) -> Result<Option<Vec<u8>>> {
        PgStore::payload(self, event_id)
    }

    fn discard(&mut self, ids: &[i64]) -> Result<()> {
        PgStore::discard(self, ids)
    }
}

impl ExecutionStore for PgStore {
    fn acquire_lease(&mut self, scenario_id: i64) -> Result<bool> {
        PgStore::acquire_lease(self, scenario_id)
    }

    fn renew_lease(&self, scenario_id: i64) -> Result<bool> {
        PgStore::renew_lease(self, scenario_id)
    }

    fn release_lease(&self, scenario_id: i64) -> Result<()> {
        PgStore::release_lease(self, scenario_id)
    }

    fn queued_count(&self, hook_id: i64) -> Result<u64> {
        PgStore::queued_count(self, hook_id)
    }

    fn start_execution(
        &mut self,
        scenario_id: i64,
        trigger: Trigger,
        now: Millis,
        hook_id: i64,
        count: u64,
    ) -> Result<(i64, Vec<ClaimedEvent>)> {
        PgStore::start_execution(self, scenario_id, trigger, now, hook_id, count)
    }

    fn start_immediately(
        &mut self,
        scenario_id: i64,
        hook_id: i64,
        now: Millis,
        limit: u32,
    ) -> Result<Option<(Scenario, Started)>> {
        PgStore::start_immediately(self, scenario_id, hook_id, now, limit)
    }

    fn finish_cycles(
        &mut self,
        scenario_id: i64,
        cycles: &[(CycleEnd, NewOperation<'_>)],
        ahead: Ahead<'_>,
        last: Option<&ExecutionEnd<'_>>,
    ) -> Result<Committed> {
        PgStore::finish_cycles(self, scenario_id, cycles, ahead, last)
    }

    fn finish_execution(
        &mut self,
        execution_id: i64,
        scenario_id: i64,
        status: ExecutionStatus,
        error: Option<&str>,
        update: ScenarioUpdate,
        now: Millis,
    ) -> Result<ExecutionRecord> {
        PgStore::finish_execution(self, execution_id, scenario_id, status, error, update, now)
    }

    fn execution(&self, id: i64) -> Result<ExecutionRecord> {
        PgStore::execution(self, id)
    }

    fn executions(&self, scenario_id: i64, limit: u32) -> Result<Vec<ExecutionRecord>> {
        PgStore::executions(self, scenario_id, limit)
    }

    fn operations(
        &self,
        hook_id: i64,
        status: Option<OperationStatus>,
        event_id: Option<i64>,
        limit: u64,
    ) -> Result<Vec<Operation>> {
        PgStore::operations(self, hook_id, status, event_id, limit)
    }
}

impl SweepStore for PgStore {
    fn hook_facts(&self) -> Result<Vec<HookFacts>> {
        PgStore::hook_facts(self)
    }

    fn sweep_disable(
        &mut self,
        hook_ids: &[i64],
        now: Millis,
        rule: &dyn Fn(&HookFacts) -> Option<DisableReason>,
    ) -> Result<Vec<(i64, DisableReason)>> {
        PgStore::sweep_disable(self, hook_ids, now, rule)
    }

    fn sweep_delete_step(
        &mut self,
        hook_id: i64,
        batch: usize,
        rule: &dyn Fn(&HookFacts) -> bool,
    ) -> Result<DeleteStep> {
        PgStore::sweep_delete_step(self, hook_id, batch, rule)
    }

    fn payloads_to_purge(
        &self,
        before: Millis,
        cursor: PurgeCursor,
        batch: usize,
    ) -> Result<Vec<PurgeCursor>> {
        PgStore::payloads_to_purge(self, before, cursor, batch)
    }

    fn prune_deliveries(&mut self, now: Millis, batch: usize) -> Result<u64> {
        PgStore::prune_deliveries(self, now, batch)
    }

    fn purge_payloads(&mut self, event_ids: &[i64], before: Millis) -> Result<u64> {
        PgStore::purge_payloads(self, event_ids, before)
    }

    fn count_payloads_to_purge(&self, before: Millis, deleting: &[i64]) -> Result<u64> {
        PgStore::count_payloads_to_purge(self, before, deleting)
    }

    fn free_pages(&self) -> Result<u64> {
        PgStore::free_pages(self)
    }

    fn reclaim_pages(&mut self, pages: u64) -> Result<u64> {
        PgStore::reclaim_pages(self, pages)
    }

    fn checkpoint(&self) -> Result<()> {
        PgStore::checkpoint(self)
    }
}
