/* SPDX-License-Identifier: GPL-2.0 */
/*
 * refslab tracepoints: every change of an object's reference count, and
 * the three steps of its life (create, release, reclaim).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM refslab

#if !defined(_REFSLAB_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _REFSLAB_TRACE_H

#include <linux/tracepoint.h>

/*
 * object.c, which defines the tracepoints, and handle.c, whose GET and
 * PUT change the held count, include this file, after ns.h, object.h and
 * quota.h, whose structures and refslab_charge_uid() the events read: the
 * tracepoints are the object life cycle's own, not a layer above it.
 */

TRACE_EVENT(refslab_create,
	    TP_PROTO(const struct refslab_object *obj),
	    TP_ARGS(obj),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(unsigned int, ns)
			     __field(unsigned int, size)
			     __field(unsigned int, uid)),
	    TP_fast_assign(__entry->id = obj->id;
			   __entry->ns = obj->ns->inum;
			   __entry->size = obj->size;
			   __entry->uid = __kuid_val(refslab_charge_uid(obj->charge));),
	    TP_printk("id=%llu size=%u uid=%u ns=%u", __entry->id,
		      __entry->size, __entry->uid, __entry->ns)
);

DECLARE_EVENT_CLASS(refslab_ref_class,
		    TP_PROTO(const struct refslab_object *obj,
			     unsigned int count, int refs),
		    TP_ARGS(obj, count, refs),
		    TP_STRUCT__entry(__field(u64, id)
				     __field(unsigned int, count)
				     __field(int, refs)),
		    TP_fast_assign(__entry->id = obj->id;
				   __entry->count = count;
				   __entry->refs = refs;),
		    TP_printk("id=%llu count=%u refs=%d",
			      __entry->id, __entry->count, __entry->refs)
);

/* Held references taken: @refs is the object's count after the get. */
DEFINE_EVENT(refslab_ref_class, refslab_get,
	     TP_PROTO(const struct refslab_object *obj, unsigned int count,
		      int refs),
	     TP_ARGS(obj, count, refs)
);

/* Held references dropped: @refs is the object's count after the put. */
DEFINE_EVENT(refslab_ref_class, refslab_put,
	     TP_PROTO(const struct refslab_object *obj, unsigned int count,
		      int refs),
	     TP_ARGS(obj, count, refs)
);

TRACE_EVENT(refslab_release,
	    TP_PROTO(const struct refslab_object *obj),
	    TP_ARGS(obj),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(unsigned int, size)),
	    TP_fast_assign(__entry->id = obj->id;
			   __entry->size = obj->size;),
	    TP_printk("id=%llu size=%u", __entry->id, __entry->size)
);

TRACE_EVENT(refslab_reclaim,
	    TP_PROTO(const struct refslab_object *obj, u64 latency_ns),
	    TP_ARGS(obj, latency_ns),
	    TP_STRUCT__entry(__field(u64, id)
			     __field(unsigned int, size)
			     __field(u64, latency_ns)),
	    TP_fast_assign(__entry->id = obj->id;
			   __entry->size = obj->size;
			   __entry->latency_ns = latency_ns;),
	    TP_printk("id=%llu size=%u latency_ns=%llu",
		      __entry->id, __entry->size, __entry->latency_ns)
);

#endif /* _REFSLAB_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
