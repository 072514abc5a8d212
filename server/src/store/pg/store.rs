//! The [`Store`] operations on PostgreSQL: each one transaction (READ COMMITTED) on a pooled
//! connection, the checks that must hold together with their writes taken under row locks in
//! the modules beside this one.

use replybubble_core::{Mode, Plan};

use super::{
    agents, contacts, conversations, events, messages, outbox, privacy, sessions, workspaces,
};
use super::{PgStore, StoreError};
use crate::store::model::*;
use crate::store::shared::found;
use crate::store::{DemoSeed, FreshSession, IdentifyApplied, IdentifyWrite, Op, Store};

/// One transaction of its own: `$body` is a future using `$t` (the `&Transaction`); it commits
/// when the future succeeds and rolls back (the transaction dropped) when it fails. What it
/// notified is announced after the commit.
macro_rules! tx {
    ($store:expr, |$t:ident| $body:expr) => {{
        let pool = $store.pool.clone();
        Box::pin(async move {
            let mut client = pool.get().await?;
            let (out, notices) = super::in_transaction(async {
                let owned = client.transaction().await?;
                let out = {
                    let $t = &owned;
                    $body.await?
                };
                owned.commit().await?;
                Ok(out)
            })
            .await?;
            if !notices.is_empty() {
                super::announce(&client, notices).await;
            }
            Ok(out)
        })
    }};
}

impl Store for PgStore {
    fn shared(&self) -> bool {
        true
    }

    fn notices(&self) -> futures_util::stream::BoxStream<'static, Notice> {
        self.listen()
    }

    fn ping(&self) -> Op<()> {
        tx!(self, |t| async {
            t.batch_execute("SELECT 1").await?;
            Ok::<_, StoreError>(())
        })
    }

    fn workspace(&self, app_id: String) -> Op<Option<Workspace>> {
        tx!(self, |t| async {
            found(workspaces::by_app_id(t, &app_id).await)
        })
    }

    fn workspaces(&self) -> Op<Vec<Workspace>> {
        tx!(self, |t| workspaces::list(t))
    }

    fn create_workspace(
        &self,
        app_id: String,
        name: String,
        plan: Plan,
        origins: Vec<String>,
        now: i64,
    ) -> Op<Workspace> {
        tx!(self, |t| workspaces::create(
            t, &app_id, &name, plan, &origins, now
        ))
    }

    fn set_plan(&self, app_id: String, plan: Plan) -> Op<Workspace> {
        tx!(self, |t| workspaces::set_plan(t, &app_id, plan))
    }

    fn set_mode(&self, app_id: String, mode: Mode) -> Op<Workspace> {
        tx!(self, |t| workspaces::set_mode(t, &app_id, mode))
    }

    fn set_email_trust(&self, app_id: String, trust: bool) -> Op<Workspace> {
        tx!(self, |t| workspaces::set_email_trust(t, &app_id, trust))
    }

    fn set_retention(&self, app_id: String, days: Option<u32>) -> Op<Workspace> {
        tx!(self, |t| workspaces::set_retention(t, &app_id, days))
    }

    fn set_hours(
        &self,
        app_id: String,
        hours: Option<(String, String)>,
        hide_when_offline: bool,
    ) -> Op<Workspace> {
        tx!(self, |t| {
            let h = hours.as_ref().map(|(z, w)| (z.as_str(), w.as_str()));
            workspaces::set_hours(t, &app_id, h, hide_when_offline)
        })
    }

    fn queue_email(&self, conversation_id: i64, seq: i64, now: i64) -> Op<()> {
        tx!(self, |t| outbox::queue(t, conversation_id, seq, now))
    }

    fn claim_emails(&self, now: i64, lease_until: i64, limit: usize) -> Op<Vec<EmailJob>> {
        tx!(self, |t| outbox::claim(t, now, lease_until, limit))
    }

    fn email_replies(
        &self,
        conversation_id: i64,
        after: i64,
        since: i64,
        limit: usize,
    ) -> Op<Vec<EmailReply>> {
        tx!(self, |t| outbox::replies(
            t,
            conversation_id,
            after,
            since,
            limit
        ))
    }

    fn reschedule_email(&self, conversation_id: i64, due_at: i64, error: Option<String>) -> Op<()> {
        tx!(self, |t| outbox::reschedule(
            t,
            conversation_id,
            due_at,
            error.as_deref()
        ))
    }

    fn finish_email(
        &self,
        conversation_id: i64,
        queued_seq: i64,
        covered: i64,
        emailed_at: Option<i64>,
        now: i64,
    ) -> Op<()> {
        tx!(self, |t| outbox::finish(
            t,
            conversation_id,
            queued_seq,
            covered,
            emailed_at,
            now
        ))
    }

    fn visitor_stream_seen(&self, session_id: i64, now: i64) -> Op<()> {
        tx!(self, |t| outbox::stream_seen(t, session_id, now))
    }

    fn set_notifications(&self, agent_id: i64, sound: bool, browser: bool) -> Op<()> {
        tx!(self, |t| agents::set_notifications(
            t, agent_id, sound, browser
        ))
    }

    fn mark_read(&self, agent_id: i64, conversation_id: i64, seq: i64) -> Op<()> {
        tx!(self, |t| agents::mark_read(
            t,
            agent_id,
            conversation_id,
            seq
        ))
    }

    fn read_positions(&self, agent_id: i64, conversations: Vec<i64>) -> Op<Vec<(i64, i64)>> {
        tx!(self, |t| agents::read_positions(
            t,
            agent_id,
            &conversations
        ))
    }

    fn waiting_count(&self, workspace_id: i64) -> Op<i64> {
        tx!(self, |t| conversations::waiting_count(t, workspace_id))
    }

    fn set_presence(&self, agent_id: i64, presence: Presence) -> Op<()> {
        tx!(self, |t| agents::set_presence(t, agent_id, presence))
    }

    fn agent_seen(&self, agent_id: i64, now: i64) -> Op<()> {
        tx!(self, |t| agents::seen(t, agent_id, now))
    }

    fn agent_left(&self, agent_id: i64) -> Op<()> {
        tx!(self, |t| agents::left(t, agent_id))
    }

    fn agents_online(&self, workspace_id: i64, since: i64) -> Op<u32> {
        tx!(self, |t| agents::online(t, workspace_id, since))
    }

    fn set_appearance(
        &self,
        app_id: String,
        appearance: replybubble_core::appearance::Appearance,
    ) -> Op<Workspace> {
        tx!(self, |t| workspaces::set_appearance(
            t,
            &app_id,
            &appearance
        ))
    }

    fn export_contact(&self, app_id: String, user_id: String) -> Op<Option<ContactExport>> {
        tx!(self, |t| privacy::export_contact(t, &app_id, &user_id))
    }

    fn delete_contact(&self, app_id: String, user_id: String) -> Op<Deleted> {
        tx!(self, |t| privacy::delete_contact(t, &app_id, &user_id))
    }

    fn retention_sweep(&self, now: i64) -> Op<usize> {
        tx!(self, |t| privacy::retention_sweep(t, now))
    }

    fn verification(&self, app_id: String) -> Op<VerificationSettings> {
        tx!(self, |t| async {
            let ws = workspaces::by_app_id(t, &app_id).await?;
            workspaces::verification(t, ws.id).await
        })
    }

    fn replace_secret(
        &self,
        app_id: String,
        sealed: String,
        expected_version: u32,
        flash: Option<(i64, String)>,
    ) -> Op<u32> {
        tx!(self, |t| async {
            let version = workspaces::replace_secret(t, &app_id, &sealed, expected_version).await?;
            if let Some((session_id, sealed_flash)) = &flash {
                agents::set_flash_secret(t, *session_id, sealed_flash).await?;
            }
            Ok::<_, StoreError>(version)
        })
    }

    fn stored_secrets(&self) -> Op<Vec<(String, String)>> {
        tx!(self, |t| workspaces::stored_secrets(t))
    }

    fn seal_secret(&self, app_id: String, plain: String, sealed: String) -> Op<bool> {
        tx!(self, |t| workspaces::seal_secret(
            t, &app_id, &plain, &sealed
        ))
    }

    fn flush_to_file(&self) -> Op<()> {
        // Committed is durable on PostgreSQL: there is no file of this process to flush.
        Box::pin(async { Ok(()) })
    }

    fn create_agent(
        &self,
        app_id: String,
        email: String,
        role: Role,
        password_hash: String,
        now: i64,
    ) -> Op<i64> {
        tx!(self, |t| workspaces::create_agent(
            t,
            &app_id,
            &email,
            role,
            &password_hash,
            now
        ))
    }

    fn seed_demo(&self, seed: DemoSeed) -> Op<(String, String)> {
        tx!(self, |t| workspaces::seed_demo(t, &seed))
    }

    fn lock_demo(&self, locked_hash: String) -> Op<()> {
        tx!(self, |t| workspaces::lock_demo(t, &locked_hash))
    }

    fn logins(&self, email: String) -> Op<Vec<Login>> {
        tx!(self, |t| agents::logins(t, &email))
    }

    fn create_agent_session(
        &self,
        agent_id: i64,
        token_hash: Vec<u8>,
        csrf: String,
        now: i64,
        expires_at: i64,
    ) -> Op<()> {
        tx!(self, |t| agents::create_session(
            t,
            agent_id,
            &token_hash,
            &csrf,
            now,
            expires_at
        ))
    }

    fn delete_agent_session(&self, token_hash: Vec<u8>) -> Op<()> {
        tx!(self, |t| agents::delete_session(t, &token_hash))
    }

    fn agent_by_session(&self, token_hash: Vec<u8>, now: i64) -> Op<Option<AgentCtx>> {
        tx!(self, |t| agents::agent_by_session(t, &token_hash, now))
    }

    fn take_flash_secret(&self, session_id: i64) -> Op<Option<String>> {
        tx!(self, |t| agents::take_flash_secret(t, session_id))
    }

    fn create_session(
        &self,
        workspace_id: i64,
        token_hash: Vec<u8>,
        visitor_label: String,
        now: i64,
    ) -> Op<NewSession> {
        tx!(self, |t| sessions::create(
            t,
            workspace_id,
            &token_hash,
            &visitor_label,
            now
        ))
    }

    fn authenticate(&self, token_hash: Vec<u8>, now: i64) -> Op<Option<SessionCtx>> {
        tx!(self, |t| sessions::authenticate(t, &token_hash, now))
    }

    fn touch(&self, session_id: i64, now: i64) -> Op<()> {
        tx!(self, |t| sessions::touch(t, session_id, now))
    }

    fn is_live(&self, session_id: i64, now: i64) -> Op<bool> {
        tx!(self, |t| sessions::is_live(t, session_id, now))
    }

    fn replace_session(&self, session_id: i64, fresh: FreshSession, now: i64) -> Op<NewSession> {
        tx!(self, |t| sessions::replace(
            t,
            session_id,
            &fresh.token_hash,
            &fresh.visitor_label,
            now
        ))
    }

    fn end_session(&self, session_id: i64, now: i64) -> Op<bool> {
        tx!(self, |t| sessions::revoke(t, session_id, now))
    }

    fn identify(&self, write: IdentifyWrite) -> Op<IdentifyApplied> {
        tx!(self, |t| sessions::identify(t, &write))
    }

    fn record_event(&self, event: IdentifyEvent) -> Op<()> {
        tx!(self, |t| events::record(t, &event))
    }

    fn sweep(&self, now: i64) -> Op<Swept> {
        tx!(self, |t| sessions::sweep(t, now))
    }

    fn issue_ticket(&self, ticket_hash: Vec<u8>, session_id: i64, expires_at: i64) -> Op<()> {
        tx!(self, |t| sessions::issue_ticket(
            t,
            &ticket_hash,
            session_id,
            expires_at
        ))
    }

    fn redeem_ticket(&self, ticket_hash: Vec<u8>, now: i64) -> Op<Option<StreamTarget>> {
        tx!(self, |t| sessions::redeem_ticket(t, &ticket_hash, now))
    }

    fn prune_events(&self, raw_before: i64, counts_before: i64, batch: usize) -> Op<usize> {
        tx!(self, |t| events::prune(t, raw_before, counts_before, batch))
    }

    fn insert_visitor_message(&self, session_id: i64, body: String, now: i64) -> Op<MessageRow> {
        tx!(self, |t| messages::insert_visitor(
            t, session_id, &body, now
        ))
    }

    fn insert_agent_reply(
        &self,
        workspace_id: i64,
        conversation_id: i64,
        agent_id: Option<i64>,
        body: String,
        now: i64,
        queue_email: bool,
    ) -> Op<MessageRow> {
        tx!(self, |t| async {
            if !conversations::in_workspace(t, workspace_id, conversation_id).await? {
                return Err(StoreError::NotFound("conversation"));
            }
            let row = messages::insert_agent(t, conversation_id, agent_id, &body, now).await?;
            if queue_email {
                outbox::queue(t, conversation_id, row.seq, now).await?;
            }
            Ok(row)
        })
    }

    fn messages_after(
        &self,
        conversation_id: i64,
        after: i64,
        limit: usize,
    ) -> Op<Vec<MessageRow>> {
        tx!(self, |t| messages::after(t, conversation_id, after, limit))
    }

    fn messages_before(
        &self,
        conversation_id: i64,
        before: i64,
        limit: usize,
    ) -> Op<Vec<MessageRow>> {
        tx!(self, |t| messages::before(
            t,
            conversation_id,
            before,
            limit
        ))
    }

    fn set_visitor_details(
        &self,
        session_id: i64,
        name: Option<String>,
        email: Option<String>,
        now: i64,
    ) -> Op<()> {
        tx!(self, |t| conversations::set_visitor_details(
            t,
            session_id,
            name.as_deref(),
            email.as_deref(),
            now
        ))
    }

    fn set_page(&self, session_id: i64, url: String, title: String, now: i64) -> Op<()> {
        tx!(self, |t| conversations::set_page(
            t, session_id, &url, &title, now
        ))
    }

    fn home(&self, workspace_id: i64, since: i64) -> Op<HomeStats> {
        tx!(self, |t| conversations::home(t, workspace_id, since))
    }

    fn conversations(
        &self,
        workspace_id: i64,
        identified_only: bool,
        before: Option<(i64, i64)>,
    ) -> Op<(Vec<ConversationRow>, bool)> {
        tx!(self, |t| conversations::list(
            t,
            workspace_id,
            identified_only,
            before
        ))
    }

    fn conversation(&self, workspace_id: i64, id: i64) -> Op<Option<ConversationRow>> {
        tx!(self, |t| conversations::one(t, workspace_id, id))
    }

    fn contact_conversations(
        &self,
        workspace_id: i64,
        contact_id: i64,
    ) -> Op<Vec<ConversationRow>> {
        tx!(self, |t| conversations::of_contact(
            t,
            workspace_id,
            contact_id
        ))
    }

    fn set_conversation_status(
        &self,
        workspace_id: i64,
        id: i64,
        status: ConversationStatus,
    ) -> Op<bool> {
        tx!(self, |t| conversations::set_status(
            t,
            workspace_id,
            id,
            status
        ))
    }

    fn contacts(
        &self,
        workspace_id: i64,
        before: Option<(i64, i64)>,
    ) -> Op<(Vec<(ContactRow, i64)>, bool)> {
        tx!(self, |t| contacts::list(t, workspace_id, before))
    }

    fn contact(&self, workspace_id: i64, id: i64) -> Op<Option<ContactRow>> {
        tx!(self, |t| contacts::one(t, workspace_id, id))
    }

    fn outcome_counts(&self, workspace_id: i64, since: i64) -> Op<Vec<OutcomeCount>> {
        tx!(self, |t| events::outcome_counts(t, workspace_id, since))
    }

    fn failures(&self, workspace_id: i64, since: i64, limit: usize) -> Op<Vec<Failure>> {
        tx!(self, |t| events::failures(t, workspace_id, since, limit))
    }

    fn readiness(&self, workspace_id: i64, since: i64) -> Op<Readiness> {
        tx!(self, |t| events::readiness(t, workspace_id, since))
    }
}
