#!/usr/bin/env bash
# stack_personal_data: no personal data in logs or loose files (issue 15,
# item 6).  The whole stack as `make run` starts it (tools/devstack, its own
# checkout under $T so that a developer's var/ is never touched) goes
# through a person's whole story: an organizer account, a recorded webinar,
# a participant who registers (name, email, phone, organization, job title),
# asks a question, chats and watches from an address of their own
# (127.0.0.77, an SDES viewer the relay sends to) while ffmpeg publishes,
# then erases itself; the end, the recording's ingest, and the organizer
# erases itself.  Every daemon's log and every file under var/ outside the
# databases and the store must then hold none of the two people's emails,
# names, phone, organization, job title or the participant's address, nor
# the email of a second participant registered for a webinar the
# organizer's account took with it.
#
# The grep is shown to find what it looks for: before the erasure the
# participant's join mail in var/outbox holds their email.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/control.inc"

for t in jq ffmpeg sqlite3; do
	command -v $t >/dev/null || skip "$t is not installed"
done
top=$T/top
devstack_checkout "$top"
ADMIN='Seven words make a decent passphrase indeed'
export AMPHI_HTTP=127.0.0.1:$((20000 + RANDOM % 20000)) AMPHI_ADMIN_PASSWORD=$ADMIN
URL=http://$AMPHI_HTTP
var=$top/var
setsid "$top/tools/devstack" >"$T/stack.log" 2>&1 &
_pids+=($!)
stack=$!
wait_for 30 sh -c "curl -fs '$URL/healthz' >/dev/null && mountpoint -q '$var/mnt'" ||
	{ fail "the stack starts"; cat "$T/stack.log"; finish; }
ln -s "$var/outbox" "$T/outbox"     # where control.inc's join_token looks

# The two people, with values found nowhere else in the stack.
O_EMAIL=orlane.quennec@exemple-orga.fr O_FIRST=Orlane O_LAST=Quennec
P_EMAIL=berenice.zwolinski@exemple-part.fr P_FIRST=Bérénice P_LAST=Zwolinski
P_PHONE='+33 6 47 19 82 53' P_ORG='Ateliers Zwolinski' P_JOB='Cheffe de chantier'
P_ADDR=127.0.0.77

login admin@localhost "$ADMIN" "$T/admin"
check "the admin signs in" is "$status" 200
req POST /api/accounts "$(jq -nc --arg e "$O_EMAIL" --arg f "$O_FIRST" --arg l "$O_LAST" \
	'{email:$e,first_name:$f,last_name:$l}')" "$T/admin"
pw=$(jqo .initial_password)
login "$O_EMAIL" "$pw" "$T/o"
req POST /api/password "$(jq -nc --arg c "$pw" '{current_password:$c,new_password:"Purple-Lantern-77-river"}')" "$T/o"
check "the organizer's account, password changed" is "$status" 200
req POST /api/webinars '{"title":"Atelier","start_time":"2026-12-01T09:30:00Z","recording":true}' "$T/o"
W=$(jqo .id)
req POST "/api/webinars/$W/speakers" '{}' "$T/o"
SPK=$(jqo .token)

# The participant registers and acts from an address of their own.
preq() {
	local tok=$1 m=$2 p=$3 b=${4-}
	local args=(-s -o "$T/out" -w '%{http_code}' --interface "$P_ADDR" -X "$m")
	[ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
	[ -n "$b" ] && args+=(-H 'Content-Type: application/json' --data-binary "$b")
	status=$(curl "${args[@]}" "$URL$p")
}
preq "" POST "/api/webinars/$W/registrations" "$(jq -nc --arg f "$P_FIRST" --arg l "$P_LAST" --arg e "$P_EMAIL" \
	--arg p "$P_PHONE" --arg o "$P_ORG" --arg j "$P_JOB" \
	'{first_name:$f,last_name:$l,email:$e,phone:$p,organization:$o,job_title:$j,consent:true,age_15_or_older:true}')"
check "the participant registers (202)" is "$status" 202
wait_for 5 join_token "$P_EMAIL" >/dev/null
P_TOK=$(join_token "$P_EMAIL")
check "their join link comes by mail" is "${#P_TOK}" 43

# A second participant registers for the organizer's next webinar, which
# never takes place: their join mail must leave with the organizer's account.
Q_EMAIL=gaspard.ollivier@exemple-part.fr
req POST /api/webinars '{"title":"Suite","start_time":"2026-12-20T09:30:00Z"}' "$T/o"
W2=$(jqo .id)
preq "" POST "/api/webinars/$W2/registrations" "$(jq -nc --arg e "$Q_EMAIL" \
	'{first_name:"Gaspard",last_name:"Ollivier",email:$e,job_title:"Menuisier",
	  organization:"Ollivier Bois",consent:true,age_15_or_older:true}')"
wait_for 5 join_token "$Q_EMAIL" >/dev/null
check "a second participant registers for the next webinar (their join mail)" test -n "$(join_token "$Q_EMAIL")"

# hits VALUE...: which files under var/ (outside the databases and the
# store) and whether the stack's log hold each VALUE; one line per hit.
hits() {
	local v
	for v in "$@"; do
		find "$var" \( -path "$var/store" -o -path "$var/mnt" -o -name 'control.db*' \) -prune -o \
			-type f -print0 | xargs -0r grep -alF -- "$v" | sed "s|^|$v: |"
		grep -qaF -- "$v" "$T/stack.log" && echo "$v: the stack's log"
	done
	return 0
}
check "the grep finds what it looks for: before the erasure the join mail holds the email" \
	bash -c "grep -q '/outbox/' <<<\"\$1\"" _ "$(hits "$P_EMAIL")"

# The webinar: ffmpeg publishes, the participant watches, chats and asks.
req POST "/api/webinars/$W/start" '{}' "$T/o"
check "the webinar starts" is "$status" 200
ffmpeg -hide_banner -nostdin -loglevel error -f lavfi -i testsrc2=size=320x240:rate=25 \
	-f lavfi -i sine=frequency=440:sample_rate=48000 -t 3 -c:v mjpeg -q:v 5 -c:a pcm_s16le "$T/talk.mkv"
curl -s -o "$T/ingest" -X POST -H "Authorization: Bearer $SPK" "$URL/api/webinars/$W/ingest/srtp"
pub=$(jq -r .ffmpeg "$T/ingest")
pub="${pub/ffmpeg /ffmpeg -hide_banner -nostdin -loglevel error }"
bash -c "${pub/INPUT/$T/talk.mkv}" >"$T/pub.log" 2>&1 &
publisher=$!
preq "$P_TOK" POST "/api/webinars/$W/viewers/srtp" '{"audio_port":51000,"video_port":51002}'
check "the participant watches from $P_ADDR (an SDES viewer: 201)" is "$status" 201
check "... the relay sends to their address" is "$(jqo '.tracks[0].address')" "$P_ADDR"
preq "$P_TOK" POST "/api/webinars/$W/chat" "$(jq -nc --arg t "Bonjour, ici $P_FIRST de $P_ORG" '{text:$t}')"
check "they chat (201)" is "$status" 201
preq "$P_TOK" POST "/api/webinars/$W/questions" '{"text":"Les supports seront-ils envoyés ?"}'
check "they ask a question (201)" is "$status" 201
# The participant erases itself while the webinar goes on: its viewer is cut.
preq "$P_TOK" DELETE /api/me
check "the participant erases itself with its join link (200, a receipt)" \
	is "$status/$(jqo .subject)/$(jqo '.deleted."amphi-control".registrations')" 200/participant/1
wait "$publisher"
check "ffmpeg published the talk" is "$?" 0
req POST "/api/webinars/$W/end" '{}' "$T/o"
check "the webinar ends" is "$status" 200
check "the store ingests the recording" \
	wait_for 30 bash -c "curl -s -b '$T/o' '$URL/api/recordings' | jq -e '.count == 1' >/dev/null"
check "... and it shows in the mount" wait_for 10 bash -c "find '$var/mnt/by-webinar' -type f | grep -q ."

# The organizer erases itself, its recording with it.
req DELETE /api/me "" "$T/o"
check "the organizer erases itself: the receipt names the recording" \
	is "$status/$(jqo '.deleted."amphi-recstore".recordings | length')" 200/1
check "... the recording leaves the mount" wait_for 10 bash -c "! find '$var/mnt/by-webinar' -type f | grep -q ."

# The stack stops as an operator stops it; then nothing may be left.
kill -INT -- "-$stack"
wait_for 10 sh -c "! kill -0 $stack 2>/dev/null"
check "the stack stopped" sh -c "! kill -0 $stack 2>/dev/null"
hits "$O_EMAIL" "$O_FIRST" "$O_LAST" "$Q_EMAIL" "$P_EMAIL" "$P_FIRST" "$P_LAST" "$P_PHONE" "$P_ORG" "$P_JOB" \
	"$P_ADDR" >"$T/hits"
cat "$T/hits"
check "no email, name, phone, organization, job title or address in any log or loose file under var/" \
	test ! -s "$T/hits"
check "the stack did run: the relay, the store and control all logged" bash -c \
	"grep -q ' info relay ' '$T/stack.log' && grep -q ' info recstore ' '$T/stack.log' &&
	 grep -q ' info control ' '$T/stack.log'"
finish
