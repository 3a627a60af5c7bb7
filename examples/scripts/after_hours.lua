-- After-hours routing: outside settings.business_hours, answer from the FAQ when it knows the
-- answer and otherwise say when the shop opens; never wake the AI at night. Prices asked after
-- hours are remembered so the team can follow up in the morning.
local function closed_reply(ctx)
  local text = ctx.settings.after_hours_reply
  if text == nil or text == "" then
    text = "We are closed right now. We will answer as soon as we open."
  end
  return text
end

return {
  route = function(ctx, msg)
    if ctx.hours.open_now() then
      return nil -- the tenant's usual strategies
    end
    local text = (msg.text or ""):lower()
    if text:find("price") or text:find("bei") then
      local pending = ctx.kv.get("follow_up") or {}
      pending[#pending + 1] = ctx.contact.wa_id
      ctx.kv.set("follow_up", pending, 86400)
      ctx.log("price question after hours from " .. ctx.contact.wa_id)
    end
    local hits = ctx.faq.search(msg.text or "", 1)
    if hits[1] and hits[1].score >= 3 then
      ctx.reply(hits[1].answer)
    else
      ctx.reply(closed_reply(ctx))
    end
  end,
}
