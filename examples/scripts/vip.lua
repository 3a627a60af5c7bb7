-- VIP routing: customers on the VIP list (kept in ctx.kv under "vip", managed by the shop) get
-- a person at once, with a priority; everyone else gets the usual strategies. A VIP's reply
-- is signed so the team can see the difference in the chat.
local function is_vip(ctx)
  local list = ctx.kv.get("vip") or {}
  for _, wa_id in ipairs(list) do
    if wa_id == ctx.contact.wa_id then
      return true
    end
  end
  return false
end

return {
  route = function(ctx, msg)
    if is_vip(ctx) then
      ctx.escalate("VIP customer wrote: " .. (msg.text or msg.type), "high")
      ctx.reply({
        body = "Karibu tena! Your personal shopper will be with you shortly.",
        buttons = { { id = "vip_call", title = "Call me" }, { id = "vip_wait", title = "I'll wait" } },
      })
    end
  end,

  escalate = function(ctx, msg, reason)
    local desk = ctx.settings.escalation_phone
    return { to = desk, priority = "high" }
  end,
}
