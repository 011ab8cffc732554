/* routes: every module of amphi-control that answers HTTP registers its
 * routes here, one call per module, in no particular order (the router
 * matches by pattern, not by order). */
#include "control/control.h"
#include "control/http.h"
#include "control/account_state.h"
#include "control/accounts.h"
#include "control/audit.h"
#include "control/erasure.h"
#include "control/export.h"
#include "control/ingest.h"
#include "control/live.h"
#include "control/login.h"
#include "control/me.h"
#include "control/ops.h"
#include "control/recordings.h"
#include "control/privacy_requests.h"
#include "control/register.h"
#include "control/registrations.h"
#include "control/restriction.h"
#include "control/sdes_view.h"
#include "control/stats.h"
#include "control/tokens.h"
#include "control/webinars.h"
#include "control/whip.h"

int control_routes(struct http_router *r, struct control *app)
{
	int rc = 0;
	rc = rc ? rc : ops_routes(r, app);
	rc = rc ? rc : accounts_routes(r, app);
	rc = rc ? rc : account_state_routes(r, app);
	rc = rc ? rc : login_routes(r, app);
	rc = rc ? rc : audit_routes(r, app);
	rc = rc ? rc : webinars_routes(r, app);
	rc = rc ? rc : tokens_routes(r, app);
	rc = rc ? rc : registrations_routes(r, app);
	rc = rc ? rc : register_routes(r, app);
	rc = rc ? rc : privacy_requests_routes(r, app);
	rc = rc ? rc : live_routes(r, app);
	rc = rc ? rc : stats_routes(r, app);
	rc = rc ? rc : ingest_routes(r, app);
	rc = rc ? rc : whip_routes(r, app);
	rc = rc ? rc : sdes_view_routes(r, app);
	rc = rc ? rc : recordings_routes(r, app);
	rc = rc ? rc : me_routes(r, app);
	rc = rc ? rc : erasure_routes(r, app);
	rc = rc ? rc : export_routes(r, app);
	rc = rc ? rc : restriction_routes(r, app);
	return rc;
}
