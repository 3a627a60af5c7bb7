-- Kassangas Music Shop: a person for anyone who asks for one, the FAQ and a fixed reply after
-- hours (no AI at night), and every reply signed. `baraza script test kassangas.lua
-- --tenant-file kassangas.yaml --message "I want a human"` shows what it does.
return {
  on_message = function(ctx, msg)
    local text = (msg.text or ""):lower()
    if text:find("human") or text:find("agent") or text:find("mtu") then
      ctx.escalate("asked for a person", "high")
      ctx.reply("Karibu! A member of our team will call you shortly.")
    end
  end,

  route = function(ctx, msg)
    if not ctx.hours.open_now() then
      return { "faq", "static_reply" }
    end
  end,

  before_send = function(ctx, reply)
    if reply.kind == "text" then
      reply.text = reply.text .. "\n- Kassangas Music Shop"
      return reply
    end
  end,
}
