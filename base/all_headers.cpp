// Compiles every base/ header on its own terms: with the kernel flags this proves that
// they stay freestanding.
#include "base/allocator.h"
#include "base/assert.h"
#include "base/checked.h"
#include "base/errno.h"
#include "base/error.h"
#include "base/fixed_string.h"
#include "base/format.h"
#include "base/format_sink.h"
#include "base/hash.h"
#include "base/hash_map.h"
#include "base/hash_set.h"
#include "base/intrusive_list.h"
#include "base/leb128.h"
#include "base/lock.h"
#include "base/ref_ptr.h"
#include "base/result.h"
#include "base/span.h"
#include "base/string.h"
#include "base/string_view.h"
#include "base/traits.h"
#include "base/types.h"
#include "base/vector.h"

// Instantiate the templates so that their bodies are checked with these flags too.
namespace wk {

struct AllHeadersObject : RefCounted<AllHeadersObject> {
    IntrusiveListNode m_node;
};

template class Vector<u8>;
template class HashMap<u32, u64>;
template class HashMap<String, u32>;
template class HashSet<const void*>;
template class IntrusiveList<AllHeadersObject, &AllHeadersObject::m_node>;
template class RefPtr<AllHeadersObject>;
template class LockGuard<SpinLock>;

} // namespace wk
