/* account_state: the states of an account, active | suspended | deactivated
 * (docs/control.md "Account states"), and the administrator's route that
 * changes them:
 *
 *   POST /api/accounts/{id}/state   {state}   (admin)
 *
 * A suspended or deactivated account cannot log in, its sessions end and its
 * pending reset tokens go at once; reactivation (active) lifts either.  The
 * retention rules run from the change ([account_suspended]: 2 years after
 * the suspension, [account_deactivated]: at deactivation, 0 by default, so
 * a deactivation deletes the account in the same request, expiry.h says
 * with what).  An administrator cannot change their own state, nor suspend
 * or deactivate the last active administrator.  The state is shown as
 * `state` in every account (accounts.c), derived from suspended_at and
 * deactivated_at. */
#ifndef AMPHI_CONTROL_ACCOUNT_STATE_H
#define AMPHI_CONTROL_ACCOUNT_STATE_H

struct control;
struct http_router;

int account_state_routes(struct http_router *r, struct control *app);

#endif
