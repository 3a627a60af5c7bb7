#pragma once

// Debian's soci-config.h claims Boost support that libsoci-dev does not pull in; those macros
// only gate optional header templates, so drop them before including SOCI (pitfalls.md, SOCI).
#include <soci/soci-config.h>
#undef SOCI_HAVE_BOOST
#undef SOCI_HAVE_BOOST_DATE_TIME
#include <soci/soci.h>
