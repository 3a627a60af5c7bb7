-- The hooks every tenant inherits (docs/scripting.md). A tenant's script overrides any of
-- them by returning a hook of the same name. A hook absent here and from the tenant's script
-- leaves the engine's built-in behaviour: on_message does nothing, route takes
-- settings.strategies, faq lets the FAQ strategy answer, before_send keeps the reply.
local defaults = {}

-- An escalation goes to the tenant's escalation phone, at the priority that was asked for.
function defaults.escalate(ctx, msg, reason)
  return { to = ctx.settings.escalation_phone }
end

return defaults
