#!/usr/bin/env bash
# control_devcookie_reuse: a device cookie outlives nothing it was issued
# for.  The cookie (control/devcookie.h) is signed for an account id and
# has no server state; SQLite gives a deleted account's id to the next
# account when it was the highest.  A browser that logged in to the deleted
# account must not be "trusted" by the account that inherits the id: while
# failures from elsewhere lock that account, the old cookie gets 423 like
# any stranger, and the new account's own cookie (the positive control)
# logs in.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"
command -v jq >/dev/null || skip "jq is not installed"

ADMIN='Sentinel-Harbor-99!x'
AMPHI_ADMIN_PASSWORD=$ADMIN CTL_CLOCK=1 ctl_start c1 || { fail "amphi-control starts"; finish; }
login admin@localhost "$ADMIN" "$T/admin"

# account EMAIL: created by the admin; prints "id password".
account() {
	req POST /api/accounts "{\"email\":\"$1\",\"first_name\":\"Ines\",\"last_name\":\"Vale\"}" "$T/admin"
	echo "$(jqo .id) $(jqo .initial_password)"
}
read -r OLD OLD_PW < <(account old@example.org)
login old@example.org "$OLD_PW" "$T/old"
check "the first account logs in: its browser gets a device cookie" \
	bash -c "[ '$status' = 200 ] && grep -q amphi_device '$T/old'"
req DELETE "/api/accounts/$OLD" "" "$T/admin"
check "the admin deletes it" is "$status" 204
clock_ahead 2   # the cookie and the next account are seconds apart, as in life
read -r NEW NEW_PW < <(account new@example.org)
check "the next account gets the deleted one's id" is "$NEW" "$OLD"
login new@example.org "$NEW_PW" "$T/new"
check "the new account logs in once: a device cookie of its own" is "$status" 200

for _ in 1 2 3; do login new@example.org 'Wrong-password-123' "$T/stranger"; done
check "failures from elsewhere lock the new account (423)" is "$status" 423
# The old browser's cookie carries the same id, signed by the same key.
curl -s -o "$T/out" -w '%{http_code}' -b "$T/old" -H "Origin: $URL" -H 'Content-Type: application/json' \
	--data-binary "$(jq -nc --arg p "$NEW_PW" '{email:"new@example.org",password:$p}')" "$URL/api/login" >"$T/st"
check "the deleted account's device cookie is not trusted: 423 like a stranger" is "$(cat "$T/st")" 423
login new@example.org "$NEW_PW" "$T/new"
check "... while the new account's own cookie still logs in (200)" is "$status" 200
finish
