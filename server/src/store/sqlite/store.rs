//! [`Store`] on SQLite: every operation is one job of the group-committing writer or one read
//! on the pool, calling the query modules.

use replybubble_core::{Mode, Plan};

use super::SqliteStore;
use super::{
    agents, contacts, conversations, events, messages, outbox, ping, privacy, sessions, workspaces,
};
use crate::store::model::*;
use crate::store::shared::found;
use crate::store::{DemoSeed, FreshSession, IdentifyApplied, IdentifyWrite, Op, Store, StoreError};

impl SqliteStore {
    fn reading<T, F>(&self, f: F) -> Op<T>
    where
        F: FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let this = self.clone();
        Box::pin(async move { this.read(f).await })
    }

    /// A point read (one row by a unique key, or a short bounded page) on the caller's thread:
    /// it takes tens of microseconds, less than handing it to a blocking thread and back costs.
    fn looking_up<T, F>(&self, f: F) -> Op<T>
    where
        F: FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let result = self.read_here(f);
        Box::pin(std::future::ready(result))
    }

    fn writing<T, F>(&self, f: F) -> Op<T>
    where
        F: FnOnce(&rusqlite::Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let this = self.clone();
        Box::pin(async move { this.write(f).await })
    }
}

impl Store for SqliteStore {
    fn ping(&self) -> Op<()> {
        self.reading(ping)
    }

    fn workspace(&self, app_id: String) -> Op<Option<Workspace>> {
        self.looking_up(move |c| found(workspaces::by_app_id(c, &app_id)))
    }

    fn workspaces(&self) -> Op<Vec<Workspace>> {
        self.reading(workspaces::list)
    }

    fn create_workspace(
        &self,
        app_id: String,
        name: String,
        plan: Plan,
        origins: Vec<String>,
        now: i64,
    ) -> Op<Workspace> {
        self.writing(move |c| workspaces::create(c, &app_id, &name, plan, &origins, now))
    }

    fn set_plan(&self, app_id: String, plan: Plan) -> Op<Workspace> {
        self.writing(move |c| workspaces::set_plan(c, &app_id, plan))
    }

    fn set_mode(&self, app_id: String, mode: Mode) -> Op<Workspace> {
        self.writing(move |c| workspaces::set_mode(c, &app_id, mode))
    }

    fn set_email_trust(&self, app_id: String, trust: bool) -> Op<Workspace> {
        self.writing(move |c| workspaces::set_email_trust(c, &app_id, trust))
    }

    fn set_retention(&self, app_id: String, days: Option<u32>) -> Op<Workspace> {
        self.writing(move |c| workspaces::set_retention(c, &app_id, days))
    }

    fn set_hours(
        &self,
        app_id: String,
        hours: Option<(String, String)>,
        hide_when_offline: bool,
    ) -> Op<Workspace> {
        self.writing(move |c| {
            let h = hours.as_ref().map(|(z, w)| (z.as_str(), w.as_str()));
            workspaces::set_hours(c, &app_id, h, hide_when_offline)
        })
    }

    fn queue_email(&self, conversation_id: i64, seq: i64, now: i64) -> Op<()> {
        self.writing(move |c| outbox::queue(c, conversation_id, seq, now))
    }

    fn claim_emails(&self, now: i64, lease_until: i64, limit: usize) -> Op<Vec<EmailJob>> {
        self.writing(move |c| outbox::claim(c, now, lease_until, limit))
    }

    fn email_replies(
        &self,
        conversation_id: i64,
        after: i64,
        since: i64,
        limit: usize,
    ) -> Op<Vec<EmailReply>> {
        self.reading(move |c| outbox::replies(c, conversation_id, after, since, limit))
    }

    fn reschedule_email(&self, conversation_id: i64, due_at: i64, error: Option<String>) -> Op<()> {
        self.writing(move |c| outbox::reschedule(c, conversation_id, due_at, error.as_deref()))
    }

    fn finish_email(
        &self,
        conversation_id: i64,
        queued_seq: i64,
        covered: i64,
        emailed_at: Option<i64>,
        now: i64,
    ) -> Op<()> {
        self.writing(move |c| {
            outbox::finish(c, conversation_id, queued_seq, covered, emailed_at, now)
        })
    }

    fn visitor_stream_seen(&self, session_id: i64, now: i64) -> Op<()> {
        self.writing(move |c| outbox::stream_seen(c, session_id, now))
    }

    fn set_notifications(&self, agent_id: i64, sound: bool, browser: bool) -> Op<()> {
        self.writing(move |c| agents::set_notifications(c, agent_id, sound, browser))
    }

    fn mark_read(&self, agent_id: i64, conversation_id: i64, seq: i64) -> Op<()> {
        self.writing(move |c| agents::mark_read(c, agent_id, conversation_id, seq))
    }

    fn read_positions(&self, agent_id: i64, conversations: Vec<i64>) -> Op<Vec<(i64, i64)>> {
        self.reading(move |c| agents::read_positions(c, agent_id, &conversations))
    }

    fn waiting_count(&self, workspace_id: i64) -> Op<i64> {
        self.reading(move |c| conversations::waiting_count(c, workspace_id))
    }

    fn set_presence(&self, agent_id: i64, presence: Presence) -> Op<()> {
        self.writing(move |c| agents::set_presence(c, agent_id, presence))
    }

    fn agent_seen(&self, agent_id: i64, now: i64) -> Op<()> {
        self.writing(move |c| agents::seen(c, agent_id, now))
    }

    fn agent_left(&self, agent_id: i64) -> Op<()> {
        self.writing(move |c| agents::left(c, agent_id))
    }

    fn agents_online(&self, workspace_id: i64, since: i64) -> Op<u32> {
        self.reading(move |c| agents::online(c, workspace_id, since))
    }

    fn set_appearance(
        &self,
        app_id: String,
        appearance: replybubble_core::appearance::Appearance,
    ) -> Op<Workspace> {
        self.writing(move |c| workspaces::set_appearance(c, &app_id, &appearance))
    }

    fn export_contact(&self, app_id: String, user_id: String) -> Op<Option<ContactExport>> {
        self.reading(move |c| privacy::export_contact(c, &app_id, &user_id))
    }

    fn delete_contact(&self, app_id: String, user_id: String) -> Op<Deleted> {
        self.writing(move |c| privacy::delete_contact(c, &app_id, &user_id))
    }

    fn retention_sweep(&self, now: i64) -> Op<usize> {
        self.writing(move |c| privacy::retention_sweep(c, now))
    }

    fn verification(&self, app_id: String) -> Op<VerificationSettings> {
        self.reading(move |c| {
            let ws = workspaces::by_app_id(c, &app_id)?;
            workspaces::verification(c, ws.id)
        })
    }

    fn replace_secret(
        &self,
        app_id: String,
        sealed: String,
        expected_version: u32,
        flash: Option<(i64, String)>,
    ) -> Op<u32> {
        self.writing(move |c| {
            let version = workspaces::replace_secret(c, &app_id, &sealed, expected_version)?;
            if let Some((session_id, sealed_flash)) = flash {
                agents::set_flash_secret(c, session_id, &sealed_flash)?;
            }
            Ok(version)
        })
    }

    fn stored_secrets(&self) -> Op<Vec<(String, String)>> {
        self.reading(workspaces::stored_secrets)
    }

    fn seal_secret(&self, app_id: String, plain: String, sealed: String) -> Op<bool> {
        self.writing(move |c| workspaces::seal_secret(c, &app_id, &plain, &sealed))
    }

    fn flush_to_file(&self) -> Op<()> {
        let path = self.path().to_owned();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || super::checkpoint(&path))
                .await
                .map_err(|e| StoreError::Invalid(format!("checkpoint task failed: {e}")))?
        })
    }

    fn create_agent(
        &self,
        app_id: String,
        email: String,
        role: Role,
        password_hash: String,
        now: i64,
    ) -> Op<i64> {
        self.writing(move |c| {
            workspaces::create_agent(c, &app_id, &email, role, &password_hash, now)
        })
    }

    fn seed_demo(&self, seed: DemoSeed) -> Op<(String, String)> {
        self.writing(move |c| workspaces::seed_demo(c, &seed))
    }

    fn lock_demo(&self, locked_hash: String) -> Op<()> {
        self.writing(move |c| workspaces::lock_demo(c, &locked_hash))
    }

    fn logins(&self, email: String) -> Op<Vec<Login>> {
        self.reading(move |c| agents::logins(c, &email))
    }

    fn create_agent_session(
        &self,
        agent_id: i64,
        token_hash: Vec<u8>,
        csrf: String,
        now: i64,
        expires_at: i64,
    ) -> Op<()> {
        self.writing(move |c| {
            agents::create_session(c, agent_id, &token_hash, &csrf, now, expires_at)
        })
    }

    fn delete_agent_session(&self, token_hash: Vec<u8>) -> Op<()> {
        self.writing(move |c| agents::delete_session(c, &token_hash))
    }

    fn agent_by_session(&self, token_hash: Vec<u8>, now: i64) -> Op<Option<AgentCtx>> {
        self.looking_up(move |c| agents::agent_by_session(c, &token_hash, now))
    }

    fn take_flash_secret(&self, session_id: i64) -> Op<Option<String>> {
        self.writing(move |c| agents::take_flash_secret(c, session_id))
    }

    fn create_session(
        &self,
        workspace_id: i64,
        token_hash: Vec<u8>,
        visitor_label: String,
        now: i64,
    ) -> Op<NewSession> {
        self.writing(move |c| sessions::create(c, workspace_id, &token_hash, &visitor_label, now))
    }

    fn authenticate(&self, token_hash: Vec<u8>, now: i64) -> Op<Option<SessionCtx>> {
        self.looking_up(move |c| sessions::authenticate(c, &token_hash, now))
    }

    fn touch(&self, session_id: i64, now: i64) -> Op<()> {
        self.writing(move |c| sessions::touch(c, session_id, now))
    }

    fn is_live(&self, session_id: i64, now: i64) -> Op<bool> {
        self.looking_up(move |c| sessions::is_live(c, session_id, now))
    }

    fn replace_session(&self, session_id: i64, fresh: FreshSession, now: i64) -> Op<NewSession> {
        self.writing(move |c| {
            sessions::replace(c, session_id, &fresh.token_hash, &fresh.visitor_label, now)
        })
    }

    fn end_session(&self, session_id: i64, now: i64) -> Op<bool> {
        self.writing(move |c| sessions::revoke(c, session_id, now))
    }

    fn identify(&self, write: IdentifyWrite) -> Op<IdentifyApplied> {
        self.writing(move |c| sessions::identify(c, &write))
    }

    fn record_event(&self, event: IdentifyEvent) -> Op<()> {
        self.writing(move |c| events::record(c, &event))
    }

    fn sweep(&self, now: i64) -> Op<Swept> {
        self.writing(move |c| sessions::sweep(c, now))
    }

    fn issue_ticket(&self, ticket_hash: Vec<u8>, session_id: i64, expires_at: i64) -> Op<()> {
        self.writing(move |c| sessions::issue_ticket(c, &ticket_hash, session_id, expires_at))
    }

    fn redeem_ticket(&self, ticket_hash: Vec<u8>, now: i64) -> Op<Option<StreamTarget>> {
        // An unknown ticket (a stranger's guess) costs a point read, never a write.
        let this = self.clone();
        Box::pin(async move {
            let hash = ticket_hash.clone();
            if !this.read_here(move |c| sessions::ticket_exists(c, &hash))? {
                return Ok(None);
            }
            this.write(move |c| sessions::redeem_ticket(c, &ticket_hash, now))
                .await
        })
    }

    fn prune_events(&self, raw_before: i64, counts_before: i64, batch: usize) -> Op<usize> {
        self.writing(move |c| events::prune(c, raw_before, counts_before, batch))
    }

    fn insert_visitor_message(&self, session_id: i64, body: String, now: i64) -> Op<MessageRow> {
        self.writing(move |c| messages::insert_visitor(c, session_id, &body, now))
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
        self.writing(move |c| {
            if !conversations::in_workspace(c, workspace_id, conversation_id)? {
                return Err(StoreError::NotFound("conversation"));
            }
            let row = messages::insert_agent(c, conversation_id, agent_id, &body, now)?;
            if queue_email {
                outbox::queue(c, conversation_id, row.seq, now)?;
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
        self.reading(move |c| messages::after(c, conversation_id, after, limit))
    }

    fn messages_before(
        &self,
        conversation_id: i64,
        before: i64,
        limit: usize,
    ) -> Op<Vec<MessageRow>> {
        self.reading(move |c| messages::before(c, conversation_id, before, limit))
    }

    fn set_visitor_details(
        &self,
        session_id: i64,
        name: Option<String>,
        email: Option<String>,
        now: i64,
    ) -> Op<()> {
        self.writing(move |c| {
            conversations::set_visitor_details(
                c,
                session_id,
                name.as_deref(),
                email.as_deref(),
                now,
            )
        })
    }

    fn set_page(&self, session_id: i64, url: String, title: String, now: i64) -> Op<()> {
        self.writing(move |c| conversations::set_page(c, session_id, &url, &title, now))
    }

    fn home(&self, workspace_id: i64, since: i64) -> Op<HomeStats> {
        self.reading(move |c| conversations::home(c, workspace_id, since))
    }

    fn conversations(
        &self,
        workspace_id: i64,
        identified_only: bool,
        before: Option<(i64, i64)>,
    ) -> Op<(Vec<ConversationRow>, bool)> {
        self.reading(move |c| conversations::list(c, workspace_id, identified_only, before))
    }

    fn conversation(&self, workspace_id: i64, id: i64) -> Op<Option<ConversationRow>> {
        self.reading(move |c| conversations::one(c, workspace_id, id))
    }

    fn contact_conversations(
        &self,
        workspace_id: i64,
        contact_id: i64,
    ) -> Op<Vec<ConversationRow>> {
        self.reading(move |c| conversations::of_contact(c, workspace_id, contact_id))
    }

    fn set_conversation_status(
        &self,
        workspace_id: i64,
        id: i64,
        status: ConversationStatus,
    ) -> Op<bool> {
        self.writing(move |c| conversations::set_status(c, workspace_id, id, status))
    }

    fn contacts(
        &self,
        workspace_id: i64,
        before: Option<(i64, i64)>,
    ) -> Op<(Vec<(ContactRow, i64)>, bool)> {
        self.reading(move |c| contacts::list(c, workspace_id, before))
    }

    fn contact(&self, workspace_id: i64, id: i64) -> Op<Option<ContactRow>> {
        self.reading(move |c| contacts::one(c, workspace_id, id))
    }

    fn outcome_counts(&self, workspace_id: i64, since: i64) -> Op<Vec<OutcomeCount>> {
        self.reading(move |c| events::outcome_counts(c, workspace_id, since))
    }

    fn failures(&self, workspace_id: i64, since: i64, limit: usize) -> Op<Vec<Failure>> {
        self.reading(move |c| events::failures(c, workspace_id, since, limit))
    }

    fn readiness(&self, workspace_id: i64, since: i64) -> Op<Readiness> {
        self.reading(move |c| events::readiness(c, workspace_id, since))
    }
}
