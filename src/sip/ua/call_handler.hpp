// The user agent starts a media::CallHandler (media/call_handler.hpp) on every answered call; these are the
// names the SIP code has always used for it.
#pragma once

#include "media/call_handler.hpp"

namespace va::sip {

using media::CallHandler;
using media::CallHandlerFactory;
using media::CallHandlerRegistry;
using media::CallInfo;
using InboundCallInfo = media::CallInfo;

}  // namespace va::sip
