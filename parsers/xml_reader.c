/*
 * HL7 v2.xml extract reader (spec/input-hl7-xml.md): one encounter per HL7
 * message, any number of messages per file, inside any wrapper element.
 *
 * Parsing: libxml2's push parser with SAX2 callbacks, fed slices of the
 * dc_input window (so gzip is our input layer's business, not libxml2's).
 * Why not xmlTextReader, as the style guide suggests: the text reader parses
 * ahead in 512-byte blocks and its Read() returns -1 as soon as the parser
 * meets a fatal error, even when complete messages before the error were
 * parsed but not yet walked. With a damaged third message in a small file
 * (or anywhere within the block) the two good messages before it are lost,
 * which breaks "the encounters before the damage are kept". SAX events come
 * strictly in document order up to the error, whatever the chunking, and no
 * tree is built at all: memory is the parser's input buffer, the dictionary
 * of element names (bounded by libxml2) and one message's values.
 *
 * Flow: next() feeds the parser until a message is complete. The callbacks
 * only collect the values of the segments the mapping uses, into a heap
 * record (struct rec); next() maps a record into the caller's arena
 * (map_message), so nothing an encounter points to outlives the arena reset,
 * and the strings libxml2 lends to a callback are copied before it returns.
 *
 * Security: no XML_PARSE_NOENT (entities are never substituted), no
 * XML_PARSE_DTDLOAD (nothing external is loaded), XML_PARSE_NONET, and an
 * entity declaration stops the parse ("DOCTYPE with entity declarations is
 * not accepted"): HL7 v2.xml has no use for entities, and refusing them at
 * the declaration means a billion-laughs document never expands anything.
 * Limits: element nesting 64, message size 16 MiB, 10000 item segments per
 * message, 50000 distinct element names; libxml2's own limits stay on.
 */
#include "parsers/dc_reader.h"
#include "engine/dc_status.h"
#include "engine/value.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/SAX2.h>
#include <libxml/dict.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

/* Until parsers/dc_reader.h declares it. */
struct dc_reader *dc_xml_reader_new(struct dc_input *in, struct dc_diag_sink *ds,
				    struct dc_reject_sink rejects);

#define DC_XML_MAX_DEPTH 64                 /* element nesting */
#define DC_XML_MAX_MESSAGE (16u * 1024 * 1024) /* estimated XML bytes of one message */
#define DC_XML_MAX_ITEMS 10000              /* RXA, PR1 and FT1 segments of one message */
#define DC_XML_SLICE (64 * 1024)            /* bytes handed to xmlParseChunk at once */
#define DC_XML_HEAD_MAX 1024                /* raw text kept for rejects.csv */
#define DC_XML_MAX_FIELD 255                /* field, component, sub-component numbers */
#define DC_XML_FREE_RECS 4                  /* records kept for reuse */
#define DC_XML_MAX_NAMES 50000              /* distinct names in the parser's dictionary */

#if LIBXML_VERSION >= 21200
typedef const xmlError *dc_xml_error_ptr;
#else
typedef xmlErrorPtr dc_xml_error_ptr;
#endif

/* ---- collected messages ------------------------------------------------- */

/* Segments the mapping reads; the others are only recorded as boundaries. */
enum seg_kind {
	S_OTHER, S_MSH, S_PID, S_PV1, S_IN1, S_IN3, S_DG1, S_RXA, S_RXR, S_PR1, S_FT1,
	S_ZBL, S_ZRX, S_ZFT
};

static const char *const seg_names[] = {
	"", "MSH", "PID", "PV1", "IN1", "IN3", "DG1", "RXA", "RXR", "PR1", "FT1",
	"ZBL", "ZRX", "ZFT"
};

/* One text value: field (1-based), repetition (0-based), component, sub-component. */
struct hval {
	uint16_t field, rep;
	uint8_t comp, sub;
	uint32_t off, len;          /* in rec.text */
};

struct hseg {
	enum seg_kind kind;
	unsigned group;             /* the enclosing element: RXR goes with RXAs of its group */
	unsigned long line;
	size_t v0, nv;              /* its values: vals[v0 .. v0 + nv) */
};

enum rec_kind { REC_MESSAGE, REC_REJECT, REC_FATAL };

struct rec {
	enum rec_kind kind;
	unsigned long first_line, last_line;
	struct hseg *segs;
	size_t nsegs, capsegs;
	struct hval *vals;
	size_t nvals, capvals;
	char *text;
	size_t tlen, tcap;
	size_t size;                /* estimated XML bytes of the message */
	int has_msh;
	char head[DC_XML_HEAD_MAX];    /* the first bytes of the message, re-serialised */
	size_t headlen;
	/* REC_REJECT, REC_FATAL */
	char error[600];
	/* REC_FATAL */
	int status;
	int report;                 /* a diagnostic to report (parse errors; input errors already are) */
	unsigned long diag_line;
	char diag[512];
	struct rec *next;
};

struct xml_reader {
	struct dc_reader base;      /* first member */
	xmlParserCtxtPtr ctxt;
	xmlSAXHandler sax;

	struct rec *qhead, *qtail;  /* records ready for next() */
	struct rec *free;
	int nfree;
	int feeding_done;           /* the parser has seen the end or a fatal error */
	int status;                 /* returned once the queue is empty */
	int finished;

	/* parser position */
	int depth;                  /* of the current element; -1 outside the root */
	unsigned long line_at[DC_XML_MAX_DEPTH + 2];
	unsigned group_at[DC_XML_MAX_DEPTH + 2];
	/* element names: strings of the parser's dictionary, valid while ctxt lives */
	const char *name_at[DC_XML_MAX_DEPTH + 2];
	unsigned group_seq;

	/* the message being collected */
	struct rec *cur;
	int msg_depth;              /* depth of its element (-1: the document) */
	int seg_depth;              /* depth of the open segment, -1 when none */
	enum seg_kind seg_kind;
	int slot[4];                /* [1] field, [2] component, [3] sub-component; 0 = none */
	int slot_rep;
	uint16_t reps[DC_XML_MAX_FIELD + 1];
	size_t last_val;            /* index + 1 of the value text was last appended to */

	/* a subtree being skipped (a rejected message, too deep a wrapper) */
	int discard_depth;          /* -2: none */
	struct rec *discarding;     /* the reject entry to queue at its end, or NULL */

	/* errors seen while parsing */
	int fatal;
	int refused;                /* an entity declaration */
	unsigned long err_line;
	int err_col;
	char err_msg[400];
};

static const struct dc_reader_ops xml_ops;

static struct xml_reader *xml_downcast(struct dc_reader *r)
{
	if (r->ops != &xml_ops)
		DC_BUG("not an xml reader");
	return (struct xml_reader *)r;
}

static struct rec *rec_get(struct xml_reader *xr, enum rec_kind kind)
{
	struct rec *m = xr->free;
	if (m) {
		xr->free = m->next;
		xr->nfree--;
	} else {
		m = dc_xcalloc(1, sizeof *m);
	}
	m->kind = kind;
	m->first_line = m->last_line = 0;
	m->nsegs = m->nvals = m->tlen = m->size = m->headlen = 0;
	m->has_msh = 0;
	m->error[0] = m->diag[0] = '\0';
	m->status = 0;
	m->report = 0;
	m->diag_line = 0;
	m->next = NULL;
	return m;
}

static void rec_free(struct rec *m)
{
	free(m->segs);
	free(m->vals);
	free(m->text);
	free(m);
}

/* Keeps a few records (with small buffers) for reuse. */
static void rec_put(struct xml_reader *xr, struct rec *m)
{
	if (xr->nfree >= DC_XML_FREE_RECS || m->tcap > 1024 * 1024 || m->capvals > 65536) {
		rec_free(m);
		return;
	}
	m->next = xr->free;
	xr->free = m;
	xr->nfree++;
}

static void queue_push(struct xml_reader *xr, struct rec *m)
{
	m->next = NULL;
	if (xr->qtail)
		xr->qtail->next = m;
	else
		xr->qhead = m;
	xr->qtail = m;
}

static struct rec *queue_pop(struct xml_reader *xr)
{
	struct rec *m = xr->qhead;
	if (m) {
		xr->qhead = m->next;
		if (!xr->qhead)
			xr->qtail = NULL;
		m->next = NULL;
	}
	return m;
}

/* ---- the first bytes of a message, for rejects.csv ---------------------- */

static void head_add(struct rec *m, const char *s, size_t n)
{
	size_t room = DC_XML_HEAD_MAX - 1 - m->headlen;
	if (n > room) {
		n = room;
		/* never cut a UTF-8 sequence */
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(m->head + m->headlen, s, n);
	m->headlen += n;
}

static void head_text(struct rec *m, const char *s, size_t n)
{
	for (size_t i = 0; i < n && m->headlen < DC_XML_HEAD_MAX - 1; i++) {
		const char *e = s[i] == '<' ? "&lt;" : s[i] == '&' ? "&amp;" : s[i] == '>' ? "&gt;" : NULL;
		if (e) {
			head_add(m, e, strlen(e));
		} else {
			size_t j = i;
			while (j < n && s[j] != '<' && s[j] != '&' && s[j] != '>')
				j++;
			head_add(m, s + i, j - i);
			i = j - 1;
		}
	}
}

static void head_tag(struct rec *m, const char *name, int end)
{
	if (m->headlen >= DC_XML_HEAD_MAX - 1)
		return;
	head_add(m, end ? "</" : "<", end ? 2 : 1);
	head_add(m, name, strlen(name));
	head_add(m, ">", 1);
}

/* ---- names ---------------------------------------------------------------- */

/* A segment: three characters, an upper-case letter then letters or digits. */
static int is_segment_name(const char *s)
{
	return isupper((unsigned char)s[0]) &&
	       (isupper((unsigned char)s[1]) || isdigit((unsigned char)s[1])) &&
	       (isupper((unsigned char)s[2]) || isdigit((unsigned char)s[2])) && !s[3];
}

/* A message structure such as RAS_O17, DFT_P03, ADT_A01 (no group suffix). */
static int is_message_name(const char *s)
{
	for (int i = 0; i < 7; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == 3 ? c != '_' : !(isupper(c) || isdigit(c)))
			return 0;
	}
	return s[7] == '\0';
}

static enum seg_kind segment_kind(const char *s)
{
	for (int k = 1; k < (int)(sizeof seg_names / sizeof *seg_names); k++)
		if (!strcmp(s, seg_names[k]))
			return (enum seg_kind)k;
	return S_OTHER;
}

/* The position in a field or component element name: "RXA.3" -> 3, "CE.1" -> 1; else 0. */
static int name_number(const char *s)
{
	const char *dot = strrchr(s, '.');
	if (!dot || !dot[1])
		return 0;
	int n = 0;
	for (const char *p = dot + 1; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return 0;
		n = n * 10 + (*p - '0');
		if (n > DC_XML_MAX_FIELD)
			return 0;
	}
	return n;
}

/* ---- SAX callbacks: collecting ------------------------------------------- */

static unsigned long cur_line(struct xml_reader *xr)
{
	int l = xmlSAX2GetLineNumber(xr->ctxt);
	return l > 0 ? (unsigned long)l : 0;
}

static void begin_message(struct xml_reader *xr, int depth, unsigned long line)
{
	xr->cur = rec_get(xr, REC_MESSAGE);
	xr->cur->first_line = xr->cur->last_line = line;
	xr->msg_depth = depth;
	xr->seg_depth = -1;
	xr->last_val = 0;
}

static void finish_message(struct xml_reader *xr, unsigned long last_line)
{
	struct rec *m = xr->cur;
	if (last_line > m->last_line)
		m->last_line = last_line;
	xr->cur = NULL;
	xr->seg_depth = -1;
	queue_push(xr, m);
}

/* Skips the subtree at |depth|; |reject| is queued at its end. */
static void start_discard(struct xml_reader *xr, int depth, struct rec *reject)
{
	xr->discard_depth = depth;
	xr->discarding = reject;
}

static void end_discard(struct xml_reader *xr)
{
	if (xr->discarding)
		queue_push(xr, xr->discarding);
	xr->discarding = NULL;
	xr->discard_depth = -2;
}

/* Rejects the message being read: the rest of it is skipped. */
static void discard_message(struct xml_reader *xr, const char *why)
{
	struct rec *m = xr->cur;
	m->kind = REC_REJECT;
	snprintf(m->error, sizeof m->error, "%s", why);
	xr->cur = NULL;
	xr->seg_depth = -1;
	start_discard(xr, xr->msg_depth, m);
}

static void begin_segment(struct xml_reader *xr, enum seg_kind kind, int depth,
			  unsigned long line)
{
	struct rec *m = xr->cur;
	if (m->nsegs == m->capsegs) {
		m->capsegs = m->capsegs ? m->capsegs * 2 : 32;
		m->segs = dc_xrealloc(m->segs, m->capsegs * sizeof *m->segs);
	}
	struct hseg *s = &m->segs[m->nsegs++];
	s->kind = kind;
	s->group = depth > 0 ? xr->group_at[depth - 1] : 0;
	s->line = line;
	s->v0 = m->nvals;
	s->nv = 0;
	if (kind == S_MSH)
		m->has_msh = 1;
	xr->seg_depth = depth;
	xr->seg_kind = kind;
	memset(xr->slot, 0, sizeof xr->slot);
	memset(xr->reps, 0, sizeof xr->reps);
	xr->last_val = 0;
}

static void end_segment(struct xml_reader *xr)
{
	struct rec *m = xr->cur;
	struct hseg *s = &m->segs[m->nsegs - 1];
	s->nv = m->nvals - s->v0;
	xr->seg_depth = -1;
	xr->last_val = 0;
}

/* A field (rel 1), component (2) or sub-component (3) element opens. */
static void open_slot(struct xml_reader *xr, int rel, const char *name)
{
	if (rel > 3)
		return;
	int n = name_number(name);
	xr->slot[rel] = n;
	for (int k = rel + 1; k <= 3; k++)
		xr->slot[k] = 0;
	if (rel == 1 && n > 0) {
		xr->slot_rep = xr->reps[n];
		if (xr->reps[n] < UINT16_MAX)
			xr->reps[n]++;
	}
	xr->last_val = 0;
}

static void add_text(struct xml_reader *xr, const char *s, size_t n)
{
	struct rec *m = xr->cur;
	int rel = xr->depth - xr->seg_depth;
	if (xr->seg_kind == S_OTHER || rel < 1 || rel > 3)
		return;
	for (int k = 1; k <= rel; k++)
		if (xr->slot[k] <= 0)
			return;
	if (m->tlen + n + 1 > m->tcap) {
		size_t cap = m->tcap ? m->tcap : 4096;
		while (cap < m->tlen + n + 1)
			cap *= 2;
		m->text = dc_xrealloc(m->text, cap);
		m->tcap = cap;
	}
	if (xr->last_val) {
		/* more text for the same element (split by a comment or a buffer edge) */
		struct hval *v = &m->vals[xr->last_val - 1];
		memcpy(m->text + m->tlen, s, n);
		m->tlen += n;
		v->len += (uint32_t)n;
		return;
	}
	if (m->nvals == m->capvals) {
		m->capvals = m->capvals ? m->capvals * 2 : 128;
		m->vals = dc_xrealloc(m->vals, m->capvals * sizeof *m->vals);
	}
	struct hval *v = &m->vals[m->nvals++];
	v->field = (uint16_t)xr->slot[1];
	v->rep = (uint16_t)xr->slot_rep;
	v->comp = (uint8_t)(rel >= 2 ? xr->slot[2] : 1);
	v->sub = (uint8_t)(rel >= 3 ? xr->slot[3] : 1);
	v->off = (uint32_t)m->tlen;
	v->len = (uint32_t)n;
	memcpy(m->text + m->tlen, s, n);
	m->tlen += n;
	xr->last_val = m->nvals;
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
		     const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
		     int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	struct xml_reader *xr = ctx;
	const char *name = (const char *)localname;
	(void)prefix; (void)uri; (void)nb_namespaces; (void)namespaces;
	(void)nb_attributes; (void)nb_defaulted; (void)attributes;
	int d = ++xr->depth;
	/*
	 * HL7 v2.xml has a few thousand element names. libxml2 2.9 slows down
	 * sharply past a few hundred thousand distinct names (32 MB of <E1/>,
	 * <E2/>... took five minutes): such a document is not an extract.
	 */
	if (xmlDictSize(xr->ctxt->dict) > DC_XML_MAX_NAMES && !xr->refused) {
		xr->refused = 1;
		xr->err_line = cur_line(xr);
		xr->err_col = xmlSAX2GetColumnNumber(xr->ctxt);
		snprintf(xr->err_msg, sizeof xr->err_msg,
			 "more than 50000 distinct element names: not an HL7 v2.xml extract");
		xmlStopParser(xr->ctxt);
		return;
	}
	if (xr->discard_depth > -2)
		return;
	unsigned long line = cur_line(xr);
	if (d >= DC_XML_MAX_DEPTH) {
		const char *why = "element nesting deeper than 64 levels";
		if (xr->cur) {
			discard_message(xr, why);
		} else {
			struct rec *rj = rec_get(xr, REC_REJECT);
			rj->first_line = line;
			snprintf(rj->error, sizeof rj->error, "%s", why);
			head_tag(rj, name, 0);
			start_discard(xr, d, rj);
		}
		return;
	}
	xr->line_at[d] = line;
	xr->group_at[d] = ++xr->group_seq;
	xr->name_at[d] = name;
	if (!xr->cur) {
		if (is_message_name(name)) {
			begin_message(xr, d, line);
			xr->cur->size += strlen(name) * 2 + 5;
			head_tag(xr->cur, name, 0);
			return;
		}
		/*
		 * Outside a message only a segment the mapping knows starts one
		 * (any three-letter name would take <HL7> or <MSG> wrappers for
		 * segments): its parent element is the message.
		 */
		if (segment_kind(name) == S_OTHER)
			return;         /* a batch wrapper: look inside */
		begin_message(xr, d - 1, d > 0 ? xr->line_at[d - 1] : line);
		if (d > 0)
			head_tag(xr->cur, xr->name_at[d - 1], 0);
	}
	struct rec *m = xr->cur;
	if (xr->seg_depth < 0 && d == xr->msg_depth + 1 && m->has_msh && !strcmp(name, "MSH")) {
		/* a second MSH in one element: a new message starts */
		finish_message(xr, line);
		begin_message(xr, d - 1, line);
		m = xr->cur;
	}
	m->size += strlen(name) * 2 + 5;
	if (m->size > DC_XML_MAX_MESSAGE) {
		discard_message(xr, "message larger than 16 MiB");
		return;
	}
	head_tag(m, name, 0);
	if (xr->seg_depth >= 0) {
		open_slot(xr, d - xr->seg_depth, name);
		return;
	}
	if (is_segment_name(name))
		begin_segment(xr, segment_kind(name), d, line);
	/* else a group such as <RAS_O17.ORDER>: looked through */
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
		   const xmlChar *uri)
{
	struct xml_reader *xr = ctx;
	(void)prefix; (void)uri;
	int d = xr->depth--;
	if (xr->discard_depth > -2) {
		if (d == xr->discard_depth)
			end_discard(xr);
		return;
	}
	struct rec *m = xr->cur;
	if (!m)
		return;
	head_tag(m, (const char *)localname, 1);
	if (xr->seg_depth >= 0) {
		if (d == xr->seg_depth)
			end_segment(xr);
		else
			xr->last_val = 0;
	}
	if (d == xr->msg_depth)
		finish_message(xr, cur_line(xr));
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
	struct xml_reader *xr = ctx;
	if (xr->discard_depth > -2 || !xr->cur || len <= 0)
		return;
	struct rec *m = xr->cur;
	m->size += (size_t)len;
	if (m->size > DC_XML_MAX_MESSAGE) {
		discard_message(xr, "message larger than 16 MiB");
		return;
	}
	head_text(m, (const char *)ch, (size_t)len);
	if (xr->seg_depth >= 0)
		add_text(xr, (const char *)ch, (size_t)len);
}

static void on_end_document(void *ctx)
{
	struct xml_reader *xr = ctx;
	/* a message whose element is the document itself (segments at the root) */
	if (xr->discard_depth == -1)
		end_discard(xr);
	if (xr->cur && xr->msg_depth == -1)
		finish_message(xr, cur_line(xr));
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
			   const xmlChar *system_id, xmlChar *content)
{
	struct xml_reader *xr = ctx;
	(void)name; (void)type; (void)public_id; (void)system_id; (void)content;
	if (xr->fatal || xr->refused)
		return;
	xr->refused = 1;
	xr->err_line = cur_line(xr);
	xr->err_col = xmlSAX2GetColumnNumber(xr->ctxt);
	snprintf(xr->err_msg, sizeof xr->err_msg, "DOCTYPE with entity declarations is not accepted");
	xmlStopParser(xr->ctxt);
}

static void on_error(void *ctx, dc_xml_error_ptr e)
{
	struct xml_reader *xr = ctx;
	if (!e || e->level != XML_ERR_FATAL || xr->fatal || xr->refused)
		return;
	xr->fatal = 1;
	xr->err_line = e->line > 0 ? (unsigned long)e->line : cur_line(xr);
	xr->err_col = e->int2;
	const char *msg = e->message ? e->message : "parse error";
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ' || msg[n - 1] == '.'))
		n--;
	if (n >= sizeof xr->err_msg)
		n = sizeof xr->err_msg - 1;
	memcpy(xr->err_msg, msg, n);
	xr->err_msg[n] = '\0';
	/* one line per diagnostic ("Input is not proper UTF-8...\nBytes: ...") */
	for (char *p = xr->err_msg; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	/* lowercase start, as our diagnostics are (keeps "DOCTYPE", "XML") */
	if (isupper((unsigned char)xr->err_msg[0]) && islower((unsigned char)xr->err_msg[1]))
		xr->err_msg[0] = (char)tolower((unsigned char)xr->err_msg[0]);
	if (e->code == XML_ERR_ENTITY_LOOP)
		snprintf(xr->err_msg, sizeof xr->err_msg,
			 "entity expansion refused (DOCTYPE with entity declarations is not accepted)");
}

/* Errors libxml2 raises without a parser context (encoding conversion) land here. */
static void on_generic_error(void *ctx, const char *fmt, ...)
{
	(void)ctx; (void)fmt;
}

/* ---- feeding the parser --------------------------------------------------- */

/*
 * Turns the state after a fatal problem into the one reject entry covering
 * the damaged message (or the point of damage) and the rest of the input.
 * |status| is DC_ERR_PARSE, or the input's DC_ERR_IO / DC_ERR_PARSE when
 * reading failed (already reported by the input layer).
 */
static void make_fatal(struct xml_reader *xr, int status, int input_failed)
{
	struct rec *f = rec_get(xr, REC_FATAL);
	struct rec *open = xr->cur ? xr->cur : xr->discarding;
	unsigned long line = xr->err_line ? xr->err_line : cur_line(xr);
	f->status = status;
	f->first_line = open ? open->first_line : line;
	if (open) {
		memcpy(f->head, open->head, open->headlen);
		f->headlen = open->headlen;
	}
	const char *what = open ? "this message and the rest of the input are not read"
				: "the rest of the input is not read";
	if (input_failed) {
		snprintf(f->error, sizeof f->error,
			 "input cut off or unreadable after line %lu: %s", line, what);
	} else if (xr->refused) {
		/* well formed, but refused: not a parse error */
		snprintf(f->error, sizeof f->error, "%s (line %lu, column %d); %s", xr->err_msg,
			 line, xr->err_col, what);
		f->report = 1;
		f->diag_line = line;
		snprintf(f->diag, sizeof f->diag, "%s", xr->err_msg);
	} else {
		snprintf(f->error, sizeof f->error, "XML not well formed at line %lu, column %d: %s; %s",
			 line, xr->err_col, xr->err_msg[0] ? xr->err_msg : "parse error", what);
		f->report = 1;
		f->diag_line = line;
		snprintf(f->diag, sizeof f->diag, "XML not well formed: %s (column %d)",
			 xr->err_msg[0] ? xr->err_msg : "parse error", xr->err_col);
	}
	if (!open) {
		/* no message to show: the error is the raw text */
		head_add(f, f->error, strlen(f->error));
	}
	if (xr->cur)
		rec_put(xr, xr->cur);
	if (xr->discarding)
		rec_put(xr, xr->discarding);
	xr->cur = xr->discarding = NULL;
	xr->discard_depth = -2;
	queue_push(xr, f);
	xr->feeding_done = 1;
	xr->status = status;
}

static void parse(struct xml_reader *xr, const char *p, int n, int terminate)
{
	/* keep libxml2 quiet on stderr even for errors raised outside the parser context */
	xmlStructuredErrorFunc old_s = xmlStructuredError;
	void *old_sctx = xmlStructuredErrorContext;
	xmlGenericErrorFunc old_g = xmlGenericError;
	void *old_gctx = xmlGenericErrorContext;
	xmlSetStructuredErrorFunc(xr, (xmlStructuredErrorFunc)on_error);
	xmlSetGenericErrorFunc(NULL, on_generic_error);
	int rc = xmlParseChunk(xr->ctxt, p, n, terminate);
	xmlSetStructuredErrorFunc(old_sctx, old_s);
	xmlSetGenericErrorFunc(old_gctx, old_g);
	if (xr->fatal || xr->refused || (rc != 0 && xr->ctxt->disableSAX)) {
		if (!xr->err_msg[0])
			snprintf(xr->err_msg, sizeof xr->err_msg, "parse error %d", rc);
		make_fatal(xr, DC_ERR_PARSE, 0);
	}
}

/* Hands the parser one more slice of input (or the end of it). */
static void feed(struct xml_reader *xr)
{
	struct dc_input *in = xr->base.in;
	if (!dc_input_avail(in)) {
		long n = dc_input_more(in);
		if (n < 0) {
			/* corrupt or truncated gzip, read error: reported by the input layer */
			make_fatal(xr, (int)n, 1);
			return;
		}
		if (n == 0 && !dc_input_avail(in)) {
			parse(xr, NULL, 0, 1);
			if (!xr->feeding_done) {
				if (xr->cur || xr->discarding) {
					snprintf(xr->err_msg, sizeof xr->err_msg, "input ends inside a message");
					make_fatal(xr, DC_ERR_PARSE, 0);
				} else {
					xr->feeding_done = 1;
					xr->status = 0;
				}
			}
			return;
		}
	}
	size_t len;
	const unsigned char *p = dc_input_data(in, &len);
	if (len > DC_XML_SLICE)
		len = DC_XML_SLICE;
	parse(xr, (const char *)p, (int)len, 0);
	dc_input_consume(in, len);
}

/* ---- mapping a message onto the encounter model --------------------------- */

struct map_ctx {
	struct dc_arena *a;
	const struct rec *m;
};

static int space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The value at (field, rep, comp, sub) of |s|, trimmed, in the arena; "" when absent. */
static const char *get(const struct map_ctx *x, const struct hseg *s, int field, int rep,
		       int comp, int sub)
{
	const struct rec *m = x->m;
	for (size_t i = s->v0; i < s->v0 + s->nv; i++) {
		const struct hval *v = &m->vals[i];
		if (v->field != field || v->rep != rep || v->comp != comp || v->sub != sub)
			continue;
		const char *t = m->text + v->off;
		size_t b = 0, e = v->len;
		while (b < e && space(t[b]))
			b++;
		while (e > b && space(t[e - 1]))
			e--;
		if (b == e)
			continue;
		return dc_arena_strndup(x->a, t + b, e - b);
	}
	return "";
}

/* Component |comp| (first sub-component) of the first repetition of |field|. */
static const char *comp1(const struct map_ctx *x, const struct hseg *s, int field, int comp)
{
	return get(x, s, field, 0, comp, 1);
}

/* The first non-empty component |comp| over the repetitions of |field|. */
static const char *first_rep(const struct map_ctx *x, const struct hseg *s, int field, int comp)
{
	const char *best = "";
	unsigned best_rep = UINT16_MAX + 1u;
	for (size_t i = s->v0; i < s->v0 + s->nv; i++) {
		const struct hval *v = &x->m->vals[i];
		if (v->field == field && v->comp == comp && v->sub == 1 && v->rep < best_rep) {
			const char *t = get(x, s, field, v->rep, comp, 1);
			if (*t) {
				best = t;
				best_rep = v->rep;
			}
		}
	}
	return best;
}

/* Component |comp| of every repetition of |field|, joined with ';'. */
static const char *join_reps(const struct map_ctx *x, const struct hseg *s, int field, int comp)
{
	char *out = "";
	int maxrep = -1;
	for (size_t i = s->v0; i < s->v0 + s->nv; i++)
		if (x->m->vals[i].field == field && x->m->vals[i].rep > maxrep)
			maxrep = x->m->vals[i].rep;
	for (int r = 0; r <= maxrep; r++) {
		const char *v = get(x, s, field, r, comp, 1);
		if (*v)
			out = *out ? dc_arena_printf(x->a, "%s;%s", out, v) : (char *)v;
	}
	return out;
}

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/*
 * HL7 DTM/TS YYYYMMDD[HH[MM[SS[.S...]]]][+/-ZZZZ]: the leading digits and where
 * the offset starts. Returns the number of digits, or -1 when |s| has another form.
 */
static int ts_split(const char *s, const char **frac, const char **zone)
{
	int n = 0;
	while (isdigit((unsigned char)s[n]))
		n++;
	const char *p = s + n;
	*frac = NULL;
	if (*p == '.' && n == 14) {
		*frac = p;
		p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	*zone = NULL;
	if (*p == '+' || *p == '-') {
		if (!(strlen(p) == 5 && all_digits(p + 1, 4)))
			return -1;
		*zone = p;
		p += 5;
	}
	if (*p)
		return -1;
	return n;
}

/* An HL7 date or timestamp as YYYY-MM-DD; other forms are kept for validation to report. */
static const char *hl7_date(struct dc_arena *a, const char *s)
{
	const char *frac, *zone;
	int n = ts_split(s, &frac, &zone);
	if (n != 8 && n != 10 && n != 12 && n != 14)
		return s;
	return dc_arena_printf(a, "%.4s-%.2s-%.2s", s, s + 4, s + 6);
}

/* An HL7 timestamp as YYYY-MM-DDTHH:MM[:SS][+HH:MM]; other forms are kept as given. */
static const char *hl7_time(struct dc_arena *a, const char *s)
{
	const char *frac, *zone;
	int n = ts_split(s, &frac, &zone);
	if (n != 10 && n != 12 && n != 14)
		return s;
	char z[8] = "";
	if (zone)
		snprintf(z, sizeof z, "%c%.2s:%.2s", zone[0], zone + 1, zone + 3);
	if (n == 10)
		return dc_arena_printf(a, "%.4s-%.2s-%.2sT%.2s:00%s", s, s + 4, s + 6, s + 8, z);
	if (n == 12)
		return dc_arena_printf(a, "%.4s-%.2s-%.2sT%.2s:%.2s%s", s, s + 4, s + 6, s + 8,
				       s + 10, z);
	return dc_arena_printf(a, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s%s", s, s + 4, s + 6, s + 8,
			       s + 10, s + 12, z);
}

/* HL7 table 0063 to the X12 relationship codes of input-csv.md. */
static const char *relationship(const char *v)
{
	if (!*v)
		return "";
	if (!strcasecmp(v, "SEL"))
		return "18";
	if (!strcasecmp(v, "SPO"))
		return "01";
	if (!strcasecmp(v, "CHD"))
		return "19";
	/* the canonical codes themselves pass (a sender who already maps) */
	if (!strcmp(v, "18") || !strcmp(v, "01") || !strcmp(v, "19") || !strcasecmp(v, "G8"))
		return v;
	return "G8";
}

/* RXR.4 administration method (HL7 table 0165) to our method. */
static const char *method(const char *v)
{
	if (!strcasecmp(v, "IVP"))
		return "push";
	if (!strcasecmp(v, "IVPB") || !strcasecmp(v, "IV") || !strcasecmp(v, "INF"))
		return "infusion";
	if (!strcasecmp(v, "push"))
		return "push";
	if (!strcasecmp(v, "infusion"))
		return "infusion";
	if (!strcasecmp(v, "injection"))
		return "injection";
	return v;   /* anything else: validation names it */
}

/* "FAMILY, GIVEN" as rendering_provider_name wants it. */
static const char *person_name(struct dc_arena *a, const char *family, const char *given)
{
	if (*family && *given)
		return dc_arena_printf(a, "%s, %s", family, given);
	return *family ? family : given;
}

static int upper_is(const char *v, const char *want)
{
	return !strcasecmp(v, want);
}

/* J1745, Q0138: a drug's HCPCS code. */
static int drug_code(const char *c)
{
	return (c[0] == 'J' || c[0] == 'j' || c[0] == 'Q' || c[0] == 'q') && strlen(c) == 5 &&
	       all_digits(c + 1, 4);
}

static int em_code(const char *c)
{
	return (strlen(c) == 5 && c[0] == '9' && c[1] == '9' && all_digits(c, 5)) ||
	       !strcasecmp(c, "G0463");
}

static int supply_code(const char *c)
{
	return ((c[0] == 'A' || c[0] == 'a') && strlen(c) == 5 && all_digits(c + 1, 4)) ||
	       !strcmp(c, "36000") || !strcmp(c, "36410") || !strcmp(c, "96523");
}

/* What the message says about one item, beside the model's fields. */
struct item_meta {
	enum seg_kind src;
	int ft1_drug;               /* an FT1 for a drug: dropped when an RXA has that drug */
	int has_rxr, has_zrx, has_zft;
};

/* The drug identifiers of an RXA, for the FT1 double-billing check. */
struct rxa_drug {
	const char *code;
	char ndc11[12];
};

struct dg1 {
	long prio, setid;
	size_t ord;
	const char *code;
};

static long number_or(const char *s, long none)
{
	if (!*s || !all_digits(s, strlen(s)) || strlen(s) > 9)
		return none;
	return strtol(s, NULL, 10);
}

static int dg1_cmp(const void *pa, const void *pb)
{
	const struct dg1 *a = pa, *b = pb;
	if (a->prio != b->prio)
		return a->prio < b->prio ? -1 : 1;
	if (a->setid != b->setid)
		return a->setid < b->setid ? -1 : 1;
	return a->ord < b->ord ? -1 : a->ord > b->ord;
}

/* RXA.5 / code triplets (CE.1-3, CE.4-6, CWE.10-12) into code, ndc, dmd_code, drug_name. */
static void drug_ids(const struct map_ctx *x, const struct hseg *s, int field, const char **code,
		     const char **ndc, const char **dmd, const char **name)
{
	static const int trip[3][3] = { { 1, 2, 3 }, { 4, 5, 6 }, { 10, 11, 12 } };
	*code = *ndc = *dmd = *name = "";
	for (int t = 0; t < 3; t++) {
		const char *id = comp1(x, s, field, trip[t][0]);
		const char *text = comp1(x, s, field, trip[t][1]);
		const char *sys = comp1(x, s, field, trip[t][2]);
		if (!**name && *text)
			*name = text;
		if (!*id)
			continue;
		if (upper_is(sys, "HCPCS") || upper_is(sys, "HCPCS-II") || upper_is(sys, "HPC") ||
		    (!*sys && t == 0)) {
			if (!**code)
				*code = id;
		} else if (upper_is(sys, "NDC")) {
			if (!**ndc)
				*ndc = id;
		} else if (upper_is(sys, "DMD") || upper_is(sys, "SCT")) {
			if (!**dmd)
				*dmd = id;
		}
	}
}

static struct dc_item *new_item(struct dc_encounter *enc, struct item_meta *meta,
				enum seg_kind src, const struct hseg *s)
{
	struct dc_item *it = &enc->items[enc->nitems];
	memset(it, 0, sizeof *it);
	memset(&meta[enc->nitems], 0, sizeof *meta);
	meta[enc->nitems].src = src;
	enc->nitems++;
	for (int k = 0; k < DC_I_COUNT; k++)
		it->f[k] = "";
	it->line = s->line;
	return it;
}

static void apply_rxr(const struct map_ctx *x, const struct hseg *s, struct dc_item *it)
{
	it->f[DC_I_ROUTE] = comp1(x, s, 1, 1);
	const char *site = comp1(x, s, 2, 1);
	it->f[DC_I_ACCESS_SITE] = *site ? site : comp1(x, s, 2, 2);
	it->f[DC_I_METHOD] = method(comp1(x, s, 4, 1));
}

static void apply_zrx(const struct map_ctx *x, const struct hseg *s, struct dc_item *it)
{
	static const int cols[] = {
		DC_I_ADMIN_ID, DC_I_BAG_ID, DC_I_VOLUME_ML, DC_I_RATE_ML_HR, DC_I_WASTED,
		DC_I_PURPOSE, DC_I_PRIMARY, DC_I_REASON, DC_I_CONCENTRATION
	};
	for (int k = 0; k < (int)(sizeof cols / sizeof *cols); k++)
		it->f[cols[k]] = comp1(x, s, k + 1, 1);
}

static void reject_rec(struct xml_reader *xr, const struct rec *m, const char *why)
{
	struct dc_reader *r = &xr->base;
	r->rows++;
	r->rejected_rows++;
	if (r->rejects.reject)
		r->rejects.reject(r->rejects.ctx, r->in->name, m->first_line, why, m->head,
				  m->headlen);
}

/*
 * Maps a complete message onto |enc| (strings in |a|). Returns 1, or 0 when
 * the message is not an encounter: rejected (no encounter_id, too many
 * items, nothing to bill) or only administrations that did not happen.
 */
static int map_message(struct xml_reader *xr, const struct rec *m, struct dc_encounter *enc,
		       struct dc_arena *a)
{
	struct map_ctx x = { a, m };
	const char **f = enc->f;
	const struct hseg *pid = NULL, *pv1 = NULL, *zbl = NULL, *in1 = NULL, *in3 = NULL;
	const char *msh10 = "";
	long in1_set = 0;
	size_t nitem_segs = 0, ndg1 = 0, nrxa = 0, nin1 = 0;

	/* encounter-level segments: the first of each; IN1 by lowest set id */
	for (size_t i = 0; i < m->nsegs; i++) {
		const struct hseg *s = &m->segs[i];
		switch (s->kind) {
		case S_MSH:
			if (!*msh10)
				msh10 = comp1(&x, s, 10, 1);
			break;
		case S_PID: if (!pid) pid = s; break;
		case S_PV1: if (!pv1) pv1 = s; break;
		case S_ZBL: if (!zbl) zbl = s; break;
		case S_IN1: {
			long set = number_or(comp1(&x, s, 1, 1), LONG_MAX);
			nin1++;
			if (!in1 || set < in1_set) {
				in1 = s;
				in1_set = set;
			}
			break;
		}
		case S_DG1: ndg1++; break;
		case S_RXA: nrxa++; nitem_segs++; break;
		case S_PR1: case S_FT1: nitem_segs++; break;
		default: break;
		}
	}
	if (nitem_segs > DC_XML_MAX_ITEMS) {
		reject_rec(xr, m, "message has more than 10000 RXA, PR1 and FT1 segments");
		return 0;
	}
	/*
	 * The IN3 of the chosen IN1: after it, before the next IN1. With one
	 * IN1 or none there is no ambiguity: any IN3 will do.
	 */
	if (in1)
		for (const struct hseg *s = in1 + 1; s < m->segs + m->nsegs && s->kind != S_IN1; s++)
			if (s->kind == S_IN3) {
				in3 = s;
				break;
			}
	if (!in3 && nin1 <= 1)
		for (size_t i = 0; i < m->nsegs && !in3; i++)
			if (m->segs[i].kind == S_IN3)
				in3 = &m->segs[i];

	if (pv1)
		f[DC_E_ENCOUNTER_ID] = comp1(&x, pv1, 19, 1);
	if (!*f[DC_E_ENCOUNTER_ID])
		f[DC_E_ENCOUNTER_ID] = msh10;
	const char *id = f[DC_E_ENCOUNTER_ID];
	if (!*id) {
		reject_rec(xr, m, "message has no encounter_id (PV1.19 visit number or MSH.10)");
		return 0;
	}
	for (const char *p = id; *p; p++)
		if ((unsigned char)*p < 0x20) {
			reject_rec(xr, m, "encounter_id has control characters");
			return 0;
		}

	if (pid) {
		f[DC_E_PATIENT_ID] = first_rep(&x, pid, 3, 1);
		f[DC_E_PATIENT_LAST_NAME] = comp1(&x, pid, 5, 1);
		f[DC_E_PATIENT_FIRST_NAME] = comp1(&x, pid, 5, 2);
		f[DC_E_PATIENT_DOB] = hl7_date(a, comp1(&x, pid, 7, 1));
		f[DC_E_PATIENT_SEX] = comp1(&x, pid, 8, 1);
		f[DC_E_PATIENT_ADDRESS] = comp1(&x, pid, 11, 1);
		f[DC_E_PATIENT_CITY] = comp1(&x, pid, 11, 3);
		f[DC_E_PATIENT_STATE] = comp1(&x, pid, 11, 4);
		f[DC_E_PATIENT_POSTCODE] = comp1(&x, pid, 11, 5);
	}
	if (pv1) {
		f[DC_E_SERVICE_DATE] = hl7_date(a, comp1(&x, pv1, 44, 1));
		f[DC_E_RENDERING_PROVIDER_ID] = comp1(&x, pv1, 7, 1);
		f[DC_E_RENDERING_PROVIDER_NAME] =
			person_name(a, comp1(&x, pv1, 7, 2), comp1(&x, pv1, 7, 3));
	}
	if (in1) {
		f[DC_E_PAYER_ID] = comp1(&x, in1, 3, 1);
		f[DC_E_PAYER_NAME] = comp1(&x, in1, 4, 1);
		f[DC_E_MEMBER_ID] = comp1(&x, in1, 36, 1);
		if (!*f[DC_E_MEMBER_ID])
			f[DC_E_MEMBER_ID] = comp1(&x, in1, 49, 1);
		f[DC_E_GROUP_NUMBER] = comp1(&x, in1, 8, 1);
		f[DC_E_AUTH_REF] = comp1(&x, in1, 14, 1);
		f[DC_E_SUBSCRIBER_RELATIONSHIP] = relationship(comp1(&x, in1, 17, 1));
		f[DC_E_SUBSCRIBER_LAST_NAME] = comp1(&x, in1, 16, 1);
		f[DC_E_SUBSCRIBER_FIRST_NAME] = comp1(&x, in1, 16, 2);
		f[DC_E_SUBSCRIBER_DOB] = hl7_date(a, comp1(&x, in1, 18, 1));
		f[DC_E_SUBSCRIBER_ADDRESS] = comp1(&x, in1, 19, 1);
		f[DC_E_SUBSCRIBER_CITY] = comp1(&x, in1, 19, 3);
		f[DC_E_SUBSCRIBER_STATE] = comp1(&x, in1, 19, 4);
		f[DC_E_SUBSCRIBER_POSTCODE] = comp1(&x, in1, 19, 5);
		f[DC_E_SUBSCRIBER_SEX] = comp1(&x, in1, 43, 1);
	}
	if (!*f[DC_E_AUTH_REF] && in3)
		f[DC_E_AUTH_REF] = comp1(&x, in3, 2, 1);
	if (zbl) {
		f[DC_E_SCHEME] = comp1(&x, zbl, 1, 1);
		f[DC_E_BILLING_PARTY] = comp1(&x, zbl, 2, 1);
		f[DC_E_PLACE_OF_SERVICE] = comp1(&x, zbl, 3, 1);
		f[DC_E_CONSENT] = comp1(&x, zbl, 4, 1);
		f[DC_E_INDICATION] = comp1(&x, zbl, 5, 1);
		f[DC_E_VISIT_TYPE] = comp1(&x, zbl, 6, 1);
	}

	/* diagnoses: by DG1.15 priority, then DG1.1 set id, then document order */
	if (ndg1) {
		struct dg1 *dg = dc_arena_alloc(a, ndg1 * sizeof *dg);
		size_t n = 0;
		for (size_t i = 0; i < m->nsegs; i++) {
			const struct hseg *s = &m->segs[i];
			if (s->kind != S_DG1)
				continue;
			dg[n].prio = number_or(comp1(&x, s, 15, 1), LONG_MAX);
			if (dg[n].prio == 0)      /* 0 = not included in the ranking */
				dg[n].prio = LONG_MAX;
			dg[n].setid = number_or(comp1(&x, s, 1, 1), LONG_MAX);
			dg[n].ord = n;
			dg[n].code = comp1(&x, s, 3, 1);
			n++;
		}
		qsort(dg, n, sizeof *dg, dg1_cmp);
		char *codes = "";
		for (size_t i = 0; i < n; i++)
			if (*dg[i].code)
				codes = *codes ? dc_arena_printf(a, "%s;%s", codes, dg[i].code)
					       : (char *)dg[i].code;
		f[DC_E_DIAGNOSIS_CODES] = codes;
	}

	/* items, in document order */
	enc->items = dc_arena_alloc(a, (nitem_segs ? nitem_segs : 1) * sizeof *enc->items);
	struct item_meta *meta = dc_arena_alloc(a, (nitem_segs ? nitem_segs : 1) * sizeof *meta);
	struct rxa_drug *rx = dc_arena_alloc(a, (nrxa ? nrxa : 1) * sizeof *rx);
	size_t nrx = 0, run_start = 0;
	unsigned run_group = 0;
	long rx_target = -1, ft_target = -1;
	enum seg_kind last = S_OTHER;
	unsigned long not_administered = 0;
	const char *first_date = "";
	for (size_t i = 0; i < m->nsegs; i++) {
		const struct hseg *s = &m->segs[i];
		switch (s->kind) {
		case S_RXA: {
			const char *start = comp1(&x, s, 3, 1);
			if (!*first_date && *start)
				first_date = hl7_date(a, start);
			const char *code, *ndc, *dmd, *name;
			drug_ids(&x, s, 5, &code, &ndc, &dmd, &name);
			rx[nrx].code = code;
			if (!*ndc || dc_ndc_normalise(ndc, rx[nrx].ndc11) != 0)
				rx[nrx].ndc11[0] = '\0';
			nrx++;
			if (!((last == S_RXA || last == S_ZRX) && s->group == run_group)) {
				run_start = enc->nitems;
				run_group = s->group;
			}
			const char *status = comp1(&x, s, 20, 1);
			if (upper_is(status, "NA") || upper_is(status, "RE") ||
			    upper_is(comp1(&x, s, 21, 1), "D")) {
				not_administered++;
				rx_target = -1;
				break;
			}
			struct dc_item *it = new_item(enc, meta, S_RXA, s);
			it->f[DC_I_ITEM_TYPE] = "drug";
			it->f[DC_I_CODE] = code;
			it->f[DC_I_NDC] = ndc;
			it->f[DC_I_DMD_CODE] = dmd;
			it->f[DC_I_DRUG_NAME] = name;
			it->f[DC_I_DOSE] = comp1(&x, s, 6, 1);
			it->f[DC_I_DOSE_UNIT] = comp1(&x, s, 7, 1);
			it->f[DC_I_START_TIME] = hl7_time(a, start);
			it->f[DC_I_STOP_TIME] = hl7_time(a, comp1(&x, s, 4, 1));
			rx_target = (long)enc->nitems - 1;
			ft_target = -1;
			break;
		}
		case S_RXR:
			if ((last == S_RXA || last == S_ZRX) && s->group == run_group)
				for (size_t k = run_start; k < enc->nitems; k++)
					if (meta[k].src == S_RXA && !meta[k].has_rxr) {
						apply_rxr(&x, s, &enc->items[k]);
						meta[k].has_rxr = 1;
					}
			break;
		case S_ZRX:
			if (rx_target >= 0 && !meta[rx_target].has_zrx) {
				apply_zrx(&x, s, &enc->items[rx_target]);
				meta[rx_target].has_zrx = 1;
			}
			break;
		case S_PR1: {
			const char *date = comp1(&x, s, 5, 1);
			if (!*first_date && *date)
				first_date = hl7_date(a, date);
			struct dc_item *it = new_item(enc, meta, S_PR1, s);
			it->f[DC_I_ITEM_TYPE] = "procedure";
			it->f[DC_I_CODE] = comp1(&x, s, 3, 1);
			it->f[DC_I_MODIFIERS] = join_reps(&x, s, 16, 1);
			/* PR1.14 procedure priority: 1 = the primary procedure */
			if (!strcmp(comp1(&x, s, 14, 1), "1"))
				it->f[DC_I_PRIMARY] = "Y";
			rx_target = ft_target = -1;
			break;
		}
		case S_FT1: {
			rx_target = ft_target = -1;
			if (!upper_is(comp1(&x, s, 6, 1), "CG"))
				break;          /* credits, payments, adjustments: not items */
			const char *date = comp1(&x, s, 4, 1);
			if (!*first_date && *date)
				first_date = hl7_date(a, date);
			const char *code = comp1(&x, s, 25, 1), *name = comp1(&x, s, 25, 2);
			if (!*code) {
				code = comp1(&x, s, 7, 1);
				name = comp1(&x, s, 7, 2);
			}
			const char *ndc = comp1(&x, s, 29, 1);
			struct dc_item *it = new_item(enc, meta, S_FT1, s);
			size_t k = enc->nitems - 1;
			it->f[DC_I_CODE] = code;
			it->f[DC_I_MODIFIERS] = join_reps(&x, s, 26, 1);
			it->f[DC_I_UNITS] = comp1(&x, s, 10, 1);
			it->f[DC_I_NDC] = ndc;
			if (drug_code(code) || *ndc) {
				it->f[DC_I_ITEM_TYPE] = "drug";
				it->f[DC_I_DRUG_NAME] = name;
				meta[k].ft1_drug = 1;
			} else if (em_code(code)) {
				it->f[DC_I_ITEM_TYPE] = "visit";
			} else if (supply_code(code)) {
				it->f[DC_I_ITEM_TYPE] = "supply";
			} else {
				it->f[DC_I_ITEM_TYPE] = "procedure";
			}
			ft_target = (long)k;
			break;
		}
		case S_ZFT:
			if (ft_target >= 0 && !meta[ft_target].has_zft) {
				struct dc_item *it = &enc->items[ft_target];
				it->f[DC_I_SEPARATELY_IDENTIFIABLE] = comp1(&x, s, 1, 1);
				/* ZFT.2: the item type where the code alone cannot tell (UK consultations) */
				const char *type = comp1(&x, s, 2, 1);
				if (upper_is(type, "visit") || upper_is(type, "procedure") ||
				    upper_is(type, "supply") || upper_is(type, "drug")) {
					char *t = dc_arena_strdup(a, type);
					for (char *p = t; *p; p++)
						*p = (char)tolower((unsigned char)*p);
					it->f[DC_I_ITEM_TYPE] = t;
					meta[ft_target].ft1_drug = !strcmp(t, "drug");
				}
				meta[ft_target].has_zft = 1;
			}
			break;
		default:
			break;
		}
		last = s->kind;
	}
	if (!*f[DC_E_SERVICE_DATE])
		f[DC_E_SERVICE_DATE] = first_date;

	/* an FT1 for a drug the message has an RXA for is not billed twice */
	size_t keep = 0;
	for (size_t k = 0; k < enc->nitems; k++) {
		int drop = 0;
		if (meta[k].ft1_drug) {
			const struct dc_item *it = &enc->items[k];
			char ndc11[12] = "";
			if (*it->f[DC_I_NDC] && dc_ndc_normalise(it->f[DC_I_NDC], ndc11) != 0)
				ndc11[0] = '\0';
			for (size_t j = 0; j < nrx && !drop; j++)
				drop = (*it->f[DC_I_CODE] && !strcasecmp(rx[j].code, it->f[DC_I_CODE])) ||
				       (ndc11[0] && !strcmp(rx[j].ndc11, ndc11));
		}
		if (!drop)
			enc->items[keep++] = enc->items[k];
	}
	enc->nitems = keep;
	if (!enc->nitems) {
		/*
		 * Not an encounter: it would be coded or held with no row to show
		 * in held.csv. Administrations that did not happen are counted as
		 * such; a message with nothing at all to bill is rejected.
		 */
		if (!not_administered) {
			reject_rec(xr, m, "message has nothing to bill: no RXA, PR1 or FT1 charge");
			return 0;
		}
		if (dc_shard_other(id, xr->base.shard_k, xr->base.shard_n))
			return 0;   /* counted by the shard it falls to */
		xr->base.rows += not_administered;
		xr->base.not_administered += not_administered;
		return 0;
	}

	/* held.csv: the canonical columns, encounter values then the item's */
	for (size_t k = 0; k < enc->nitems; k++) {
		struct dc_item *it = &enc->items[k];
		it->nraw = DC_COL_COUNT;
		it->raw = dc_arena_alloc(a, DC_COL_COUNT * sizeof *it->raw);
		for (int c = 0; c < DC_E_COUNT; c++)
			it->raw[c] = f[c];
		for (int c = 0; c < DC_I_COUNT; c++)
			it->raw[DC_E_COUNT + c] = it->f[c];
	}
	enc->first_line = m->first_line;
	enc->last_line = m->last_line;
	enc->not_administered = not_administered;
	xr->base.rows += enc->nitems + not_administered;
	xr->base.not_administered += not_administered;
	return 1;
}

/* ---- the reader ----------------------------------------------------------- */

static int xml_next(struct dc_reader *r, struct dc_encounter *enc, struct dc_arena *a)
{
	struct xml_reader *xr = xml_downcast(r);
	memset(enc, 0, sizeof *enc);
	for (int k = 0; k < DC_E_COUNT; k++)
		enc->f[k] = "";
	if (xr->finished)
		return xr->status;
	for (;;) {
		struct rec *m = queue_pop(xr);
		if (!m) {
			if (xr->feeding_done) {
				xr->finished = 1;
				return xr->status;
			}
			feed(xr);
			continue;
		}
		int rc = 0;
		switch (m->kind) {
		case REC_MESSAGE:
			rc = map_message(xr, m, enc, a);
			if (rc != 1) {
				memset(enc, 0, sizeof *enc);
				for (int k = 0; k < DC_E_COUNT; k++)
					enc->f[k] = "";
			}
			break;
		case REC_REJECT:
			reject_rec(xr, m, m->error);
			break;
		case REC_FATAL:
			if (m->report)
				dc_diag_report(r->ds, DC_SEV_ERROR, DC_ERR_PARSE, r->in->name,
					       m->diag_line, "%s", m->diag);
			reject_rec(xr, m, m->error);
			rec_put(xr, m);
			/* nothing is queued after a fatal record */
			while ((m = queue_pop(xr)))
				rec_put(xr, m);
			xr->finished = 1;
			return xr->status;
		}
		rec_put(xr, m);
		if (rc == 1)
			return 1;
	}
}

static void xml_free(struct dc_reader *r)
{
	struct xml_reader *xr = xml_downcast(r);
	struct rec *m;
	while ((m = queue_pop(xr)))
		rec_free(m);
	while ((m = xr->free)) {
		xr->free = m->next;
		rec_free(m);
	}
	if (xr->cur)
		rec_free(xr->cur);
	if (xr->discarding)
		rec_free(xr->discarding);
	if (xr->ctxt) {
		/* libxml2 keeps entity declarations in a document of its own even
		 * in SAX mode ("expat compatibility"): the caller frees it */
		if (xr->ctxt->myDoc)
			xmlFreeDoc(xr->ctxt->myDoc);
		xmlFreeParserCtxt(xr->ctxt);
	}
	for (size_t i = 0; i < r->ncols; i++)
		free(r->colnames[i]);
	free(r->colnames);
	free(r->canon);
	free(xr);
}

static const struct dc_reader_ops xml_ops = { "hl7xml", xml_next, xml_free };

struct dc_reader *dc_xml_reader_new(struct dc_input *in, struct dc_diag_sink *ds,
				    struct dc_reject_sink rejects)
{
	xmlInitParser();
	struct xml_reader *xr = dc_xcalloc(1, sizeof *xr);
	struct dc_reader *r = &xr->base;
	r->ops = &xml_ops;
	r->in = in;
	r->ds = ds;
	r->rejects = rejects;
	/* held.csv of an XML input has the canonical columns, in canonical order */
	r->ncols = DC_COL_COUNT;
	r->colnames = dc_xcalloc(DC_COL_COUNT, sizeof *r->colnames);
	r->canon = dc_xcalloc(DC_COL_COUNT, sizeof *r->canon);
	for (int i = 0; i < DC_COL_COUNT; i++) {
		r->colnames[i] = dc_xstrdup(dc_column_names[i]);
		r->canon[i] = i;
	}
	xr->depth = -1;
	xr->msg_depth = -2;
	xr->seg_depth = -1;
	xr->discard_depth = -2;

	/*
	 * SAX2 without the tree builder: no getEntity, getParameterEntity or
	 * externalSubset callbacks, so no entity is ever resolved or loaded;
	 * entityDecl stops the parse.
	 */
	xmlSAXHandler *sax = &xr->sax;
	memset(sax, 0, sizeof *sax);
	sax->initialized = XML_SAX2_MAGIC;
	sax->startElementNs = on_start;
	sax->endElementNs = on_end;
	sax->characters = on_text;
	sax->cdataBlock = on_text;
	sax->ignorableWhitespace = on_text;
	sax->endDocument = on_end_document;
	sax->entityDecl = on_entity_decl;
	sax->serror = (xmlStructuredErrorFunc)on_error;
	xr->ctxt = xmlCreatePushParserCtxt(sax, xr, NULL, 0, in->name);
	if (!xr->ctxt) {
		dc_diag_report(ds, DC_SEV_ERROR, DC_ERR_NOMEM, in->name, 0,
			       "cannot create an XML parser");
		xml_free(r);
		return NULL;
	}
	/* never XML_PARSE_NOENT or XML_PARSE_DTDLOAD */
	xmlCtxtUseOptions(xr->ctxt, XML_PARSE_NONET | XML_PARSE_NOCDATA);
	return r;
}
