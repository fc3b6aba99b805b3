//! `setup`'s work, steps 1–8, then the summary.
//!
//! Signed in once, a [`Setup`] runs the steps in one of two passes: a look
//! ([`Setup::preview`], nothing changed: `--dry-run`, and the wizard's plan)
//! and the real thing ([`Setup::apply`], or [`Previewed::apply`] after a
//! look). Once the first change is made, a Ctrl-C stops the run at the next
//! step boundary, never in the middle of one (see [`crate::stop::Stop`]).
//! What sign-in read for the first pass is handed to it by value: the
//! pass that runs first takes it, and a look leaves nothing behind for the
//! run after it, which reads again.

use crate::auth::Session;
use crate::graph::Graph;
use crate::http::Http;
use crate::output::Printer;
use crate::record::{Record, Store};
use crate::report::{Action, RenewalInfo, Report, Status};
use crate::settings::Plan;
use crate::steps::{Ctx, platform_preflight, sign_in};

use super::failures::{classify_graph_refusal, unfinished};
use super::pass::{First, pass};

/// `setup` without the wizard: sign in, then look (`--dry-run`) or do.
///
/// The platform's requests need nothing from Microsoft: they are made while
/// signing in. What either found is judged in the documented order, sign-in
/// first, so a run that both would fail reports the sign-in's failure.
pub(super) async fn run(plan: &Plan, printer: &Printer) -> anyhow::Result<()> {
    let http = Http::new(&plan.http)?;
    let (signed_in, platform) = tokio::join!(sign_in::for_plan_on(&http, plan, printer), async {
        match &plan.platform {
            Some(spec) => {
                Some(platform_preflight::fetch(&http, &plan.endpoints.platform, spec).await)
            }
            None => None,
        }
    });
    let (graph, session) = signed_in?;
    let platform = match platform.transpose() {
        Ok(platform) => platform,
        Err(err) => {
            // A token Graph refuses is reported before the platform's
            // failure (the documented order): one read says.
            sign_in::directory(&graph, &session).await?;
            return Err(err);
        }
    };
    let mut setup = Setup::new(plan, printer, http, graph, session);
    setup.first = First {
        platform,
        // Read with the first lookups, then said (crate::steps::sign_in).
        read_directory: true,
    };
    if plan.dry_run {
        let previewed = setup.preview(printer).await?;
        printer.result(&previewed.preview.report);
        return Ok(());
    }
    setup.apply(None).await
}

/// A signed-in setup, ready to look or to do.
pub(crate) struct Setup<'a> {
    plan: &'a Plan,
    printer: &'a Printer,
    http: Http,
    graph: Graph,
    session: Session,
    store: Store,
    record: Record,
    /// What sign-in left to the first pass (the platform as read, whether
    /// the directory's name is still to be read): taken by that pass.
    first: First,
}

/// What a look found.
pub(crate) struct Preview {
    /// Status `dry-run`; `changes` and `unchanged` say what a run would do.
    pub report: Report,
    /// Something would be created or changed.
    pub changes: bool,
    /// Something that exists would be changed or replaced (an app patched,
    /// a connection and its secret replaced): confirm with "no" as default.
    pub destructive: bool,
}

impl Preview {
    fn of(report: Report) -> Preview {
        let changes = !report.changes.is_empty();
        let would_update = |action: Option<Action>| action == Some(Action::WouldUpdate);
        let destructive = would_update(report.app.as_ref().map(|a| a.action))
            || report.connection.as_ref().map(|c| c.action) == Some(Action::WouldReplace);
        Preview {
            report,
            changes,
            destructive,
        }
    }
}

/// A setup that has looked: what it found, and the run it may go on to.
pub(crate) struct Previewed<'a> {
    pub preview: Preview,
    setup: Setup<'a>,
}

impl Previewed<'_> {
    /// Makes the changes the look found, after reading again (what sign-in
    /// read went to the look).
    pub(crate) async fn apply(self) -> anyhow::Result<()> {
        self.setup.apply(None).await
    }
}

impl<'a> Setup<'a> {
    pub(crate) fn new(
        plan: &'a Plan,
        printer: &'a Printer,
        http: Http,
        graph: Graph,
        session: Session,
    ) -> Setup<'a> {
        let store = Store::new(&plan.state_dir, &session.tenant_id, &plan.app.name);
        let record = store.load(&session.tenant_id, &plan.app.name);
        Setup {
            plan,
            printer,
            http,
            graph,
            session,
            store,
            record,
            first: First::default(),
        }
    }

    /// The plan asks only for a look (`--dry-run`).
    pub(crate) fn dry_run(&self) -> bool {
        self.plan.dry_run
    }

    /// Reads everything and says what a run would change; changes nothing.
    /// Finished steps are shown through `printer` (the wizard passes one
    /// without them: it shows the plan instead).
    pub(crate) async fn preview(mut self, printer: &Printer) -> anyhow::Result<Previewed<'a>> {
        let mut ctx = Ctx {
            http: self.http.clone(),
            printer,
            plan: self.plan,
            store: None,
            record: self.record.clone(),
            dry_run: true,
            custody: crate::custody::Custody::new(&self.plan.state_dir, self.plan.pending_lease),
            credential_policy: Default::default(),
        };
        let first = std::mem::take(&mut self.first);
        let report = pass(&mut ctx, &self.graph, &self.session, first)
            .await
            .map_err(|err| classify_graph_refusal(err, &self.session))?;
        Ok(Previewed {
            preview: Preview::of(report),
            setup: self,
        })
    }

    /// Makes the changes, verifies them, and prints the summary; its result
    /// says why it rotated when `renewal` does (`rotate
    /// --if-expiring-within` found the secret due).
    pub(crate) async fn apply(self, renewal: Option<RenewalInfo>) -> anyhow::Result<()> {
        let mut ctx = Ctx {
            http: self.http,
            printer: self.printer,
            plan: self.plan,
            store: Some(self.store),
            record: self.record,
            dry_run: false,
            custody: crate::custody::Custody::new(&self.plan.state_dir, self.plan.pending_lease),
            credential_policy: Default::default(),
        };
        let mut report = pass(&mut ctx, &self.graph, &self.session, self.first)
            .await
            .map_err(|err| classify_graph_refusal(err, &self.session))?;
        report.renewal = renewal;
        if !report.warnings.is_empty() {
            report.status = Status::NeedsAttention;
        }
        self.printer.result(&report);
        unfinished(&report)
    }
}
