/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Expiry: a timer wheel of about one-second slots over doubly linked session
 * lists. The fast path only writes a session's last_ns; the wheel is lazy: when
 * a slot comes due, a session whose real deadline has moved on is put back at
 * that deadline instead of expiring. Each session is so touched at most once
 * per timeout, whatever its packet rate, and no list is reordered per packet.
 */
#include <rte_debug.h>

#include "nat_private.h"

static inline uint64_t
tick_of(uint64_t ns)
{
	return ns >> NAT_TW_SHIFT;
}

void
nat_tw_insert(struct natgw_nat *nat, uint32_t sid, uint64_t deadline)
{
	struct nat_session *s = &nat->sess[sid];
	uint64_t t = tick_of(deadline);
	uint32_t slot;

	if (!nat->tw_started) {
		nat->tw_cursor = tick_of(nat->sess[sid].last_ns);
		nat->tw_started = true;
	}
	/* Never behind the cursor (that slot's turn has passed) nor a whole
	 * turn ahead of it (the slot would come up early: harmless, the
	 * session is put back). */
	if (t < nat->tw_cursor)
		t = nat->tw_cursor;
	if (t > nat->tw_cursor + NAT_TW_SLOTS - 1)
		t = nat->tw_cursor + NAT_TW_SLOTS - 1;
	slot = (uint32_t)(t & (NAT_TW_SLOTS - 1));
	s->tw_prev = NAT_TW_HEAD | slot;
	s->tw_next = nat->tw_head[slot];
	if (s->tw_next != NAT_NONE)
		nat->sess[s->tw_next].tw_prev = sid;
	nat->tw_head[slot] = sid;
}

void
nat_tw_remove(struct natgw_nat *nat, uint32_t sid)
{
	struct nat_session *s = &nat->sess[sid];

	RTE_ASSERT(s->tw_prev != NAT_NONE);
	if (!(s->tw_prev & NAT_TW_HEAD))
		nat->sess[s->tw_prev].tw_next = s->tw_next;
	else
		nat->tw_head[s->tw_prev & (NAT_TW_SLOTS - 1)] = s->tw_next;
	if (s->tw_next != NAT_NONE)
		nat->sess[s->tw_next].tw_prev = s->tw_prev;
	s->tw_prev = s->tw_next = NAT_NONE;
}

unsigned int
natgw_nat_expire(struct natgw_nat *nat, uint64_t now, unsigned int budget)
{
	uint64_t now_tick = tick_of(now);
	unsigned int seen = 0;

	nat_minute(nat, now);
	if (!nat->tw_started)
		return 0;
	/* Nothing to find: catch the cursor up without walking empty slots. */
	if (nat->st.sessions_active == 0) {
		if (now_tick > nat->tw_cursor)
			nat->tw_cursor = now_tick;
		return 0;
	}
	/* A slot is examined once its whole second has passed, so that all it
	 * holds is due or has moved on. */
	while (nat->tw_cursor < now_tick && seen < budget) {
		uint32_t slot = (uint32_t)(nat->tw_cursor & (NAT_TW_SLOTS - 1));

		while (nat->tw_head[slot] != NAT_NONE && seen < budget) {
			uint32_t sid = nat->tw_head[slot];
			struct nat_session *s = &nat->sess[sid];
			uint64_t dl = nat_session_deadline(nat, s);

			seen++;
			if (dl <= now) {
				nat_session_end(nat, sid, nat_end_of(s), dl);
			} else {
				/* dl > now: its tick is past this slot's. */
				nat_tw_remove(nat, sid);
				nat_tw_insert(nat, sid, dl);
			}
		}
		if (nat->tw_head[slot] == NAT_NONE) {
			nat->tw_cursor++;
			/* Empty slots cost too, so a long quiet gap in a
			 * capture's time is crossed over several calls. */
			seen++;
		}
	}
	return seen;
}
