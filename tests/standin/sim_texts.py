"""The simulator's labels in English and Chinese (the project's catalogues hold the real ones)."""

from __future__ import annotations

SIM_TEXTS: dict[str, tuple[str, str]] = {
    "sim-title": ("Linli simulator", "邻里 模拟器"),
    "sim-subtitle": (
        "Chat with the bot as any sample person, no Telegram needed",
        "无需 Telegram，以任一示例身份与机器人对话",
    ),
    "sim-language-switch": ("中文", "English"),
    "sim-who-am-i": ("Who are you?", "你是谁？"),
    "sim-search-people": ("Find a person or role", "搜索姓名或角色"),
    "sim-chats": ("Chats", "聊天"),
    "sim-private-chat": ("Private chat with the bot", "与机器人的私聊"),
    "sim-group": ("Group", "群组"),
    "sim-new-resident": ("+ New resident", "+ 新居民"),
    "sim-newcomer-name": ("New resident", "新居民"),
    "sim-role-resident": ("Resident", "居民"),
    "sim-role-grid-worker": ("Grid worker", "网格员"),
    "sim-role-staff": ("Community staff", "社区工作人员"),
    "sim-role-building-leader": ("Building leader", "楼栋长"),
    "sim-role-newcomer": ("Newcomer, not registered yet", "新来的，尚未登记"),
    "sim-input-placeholder": ("Message", "输入消息"),
    "sim-send": ("Send", "发送"),
    "sim-photo": ("Photo", "照片"),
    "sim-photo-caption": ("Caption (optional)", "照片说明（可选）"),
    "sim-photo-file": (
        "Image file (optional; a placeholder is sent without one)",
        "图片文件（可选；不选则发送占位图）",
    ),
    "sim-photo-send": ("Send photo", "发送照片"),
    "sim-cancel": ("Cancel", "取消"),
    "sim-back": ("Back", "返回"),
    "sim-edited": ("edited", "已编辑"),
    "sim-typing": ("typing…", "正在输入…"),
    "sim-empty-chat": (
        "No messages yet. Say hello, or send /start.",
        "还没有消息。打个招呼，或发送 /start。",
    ),
    "sim-pick-chat": ("Pick a chat.", "请选择一个聊天。"),
    "sim-document": ("Document", "文件"),
    "sim-sticker": ("Sticker", "贴纸"),
    "sim-contact": ("Contact", "联系方式"),
    "sim-location": ("Location", "位置"),
    "sim-joined": ("joined the group", "加入了群组"),
    "sim-forwarded": ("Forwarded from", "转发自"),
    "sim-offline": ("Lost the connection to the bot, retrying…", "与机器人的连接中断，正在重试…"),
    "sim-error": ("Something went wrong", "出错了"),
}


def sim_text(key: str, lang: str) -> str:
    english, chinese = SIM_TEXTS[key]
    return english if lang == "en" else chinese
