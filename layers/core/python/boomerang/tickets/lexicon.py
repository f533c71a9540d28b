"""Hand-written cues of what a support ticket is about, in each supported language.

Each concept lists stems matched as substrings of the normalized text (lower case, NFKC). They
are features for the category model, not rules: naive Bayes learns from the labeled tickets how
much each concept says about each category. Because a concept is shared by all languages, what
the model learns about it from the English tickets also serves the Japanese ones; that is what
makes a few hundred labeled tickets enough for six languages.
"""

from __future__ import annotations

import unicodedata

# One line per language (en, es, de, fr, zh, ja) within each concept.
# fmt: off
CONCEPTS: dict[str, tuple[str, ...]] = {
    "refund": (
        "charged twice", "debite deux fois", "doppelt abgebucht", "cobraron dos veces",
        "重复扣款", "二重に請求", "money hits",
        "refund", "money back", "reimburs", "my money", "credited", "paid back",
        "reembols", "mi dinero", "el dinero", "devuelto el dinero",
        "erstatt", "geld zurück", "zurückgebucht", "rückbuch", "gutschrift", "mein geld", "betrag",
        "rembours", "mon argent", "récupérer mon",
        "退款", "退钱", "到账", "到賬", "钱", "錢",
        "返金", "払い戻し", "返金され",
    ),
    "waiting": (
        "still", "not yet", "yet", "how long", "waiting", "when will", "been 0",
        "todavía", "aún", "cuánto tarda", "cuándo", "esperando", "sigo", "ya pasaron", "hace 0",
        "immer noch", "noch kein", "noch nicht", "wie lange", "warte", "wo bleibt", "wann", "seit 0",
        "toujours", "combien de temps", "j'attends", "où en est", "quand", "depuis 0", "ça fait",
        "还没", "還沒", "什么时候", "什麼時候", "多久", "等了", "进度", "進度", "很久",
        "まだ", "いつにな", "いつ届", "いつ頃", "どれくらい", "状況", "経って",
    ),
    "return": (
        "return", "send back", "send it back", "sent back", "send them back",
        "devol", "devuelv", "devolví",
        "zurückschick", "zurückgeschickt", "zurückgeb", "zurücksend", "zurückgesend", "rücksend", "retour",
        "retoure",
        "retourn", "renvoy", "renvoi", "bon de retour",
        "退货", "退貨", "退掉", "退回", "寄回",
        "返品", "返送",
    ),
    "start_return": (
        "can it go back", "already own", "ya tienen una", "haben schon eine", "en ont deja", "已经有了",
        "すでに持って", "能退", "return window", "ruckgaberecht", "jours de retour",
        "how do i", "label", "form", "is it too late", "can i send", "would like to", "i want to",
        "etiqueta", "formulario", "quiero", "quisiera", "se puede", "puedo",
        "etikett", "rücksendeschein", "anmelden", "möchte", "ist eine", "noch möglich", "kann ich",
        "kann man",
        "étiquette", "bon de", "je souhaite", "je voudrais", "est-ce que", "peut-on", "possible",
        "怎么申请", "流程", "可以退", "想退", "申請", "申请",
        "ラベル", "手続き", "できますか", "したいです", "可能でしょうか",
    ),
    "exchange": (
        "に替え", "替えて",
        "exchange", "swap", "trade", "instead", "the difference", "same size", "same one",
        "cambi", "en vez de", "la diferencia", "misma talla",
        "umtausch", "tausch", "aufpreis", "gleiche größe",
        "échang", "echang", "la différence", "même taille",
        "换", "換", "补差价", "尺码一样",
        "交換", "差額", "同じサイズ",
    ),
    "colour": (
        "colour", "color", "navy", "green", "black", "white", "grey", "gray", "beige", "brown",
        "azul", "verde", "negr", "blanc", "gris", "marrón",
        "farbe", "dunkelblau", "grün", "schwarz", "weiß", "grau", "bräunlich",
        "couleur", "bleu", "vert", "noir", "blanc", "marron",
        "颜色", "顏色", "色", "绿", "黑", "白",
        "色", "紺", "緑", "黒", "白", "グレー",
    ),
    "damage": (
        "leak", "fuit", "tropft", "pierde agua", "漏", "漏れ", "crumb", "miettes", "zerbrosel", "migas", "渣",
        "粉々", "bent", "tordu", "verbogen", "doblad", "变形", "曲が",
        "broke", "broken", "crack", "smash", "scratch", "damag", "dent", "torn", "tear", "defect", "ruin",
        "wet", "shatter", "doesn't work", "does not work",
        "roto", "rota", "rompi", "raya", "rayad", "estropead", "dañad", "golpe", "defect", "mojad",
        "astill", "pedazos", "no funciona",
        "zerbroch", "kaputt", "riss", "kratzer", "beschädig", "scherben", "mangel", "defekt", "ruiniert",
        "durchnässt", "eingedrückt", "funktioniert nicht",
        "cassé", "cass", "fissur", "rayure", "abîm", "endommag", "bris", "défaut", "trempé", "écrasé",
        "ne marche pas", "lâché",
        "碎", "坏", "壞", "裂", "划痕", "劃痕", "破", "压扁", "湿透", "损坏", "質量", "质量问题",
        "割れ", "壊れ", "ひび", "傷", "破損", "不良", "水濡れ", "潰れ", "動きません",
    ),
    "wrong": (
        "my order was for", "ordered the", "bestellt hatte ich", "bestellt war", "j'avais commande",
        "yo pedi", "订的是", "买的是", "注文したのは", "頼んだのに",
        "wrong", "instead of", "someone else", "received a", "got a", "different from what",
        "not what i ordered", "sent me", "totally different",
        "equivocad", "en lugar de", "nada que ver", "me llegaron", "me mandaron", "me enviaron", "venía un",
        "falsch", "statt", "fremde", "bekommen", "erhalten", "stimmt", "geliefert wurde",
        "pas le bon", "au lieu", "quelqu'un d'autre", "rien à voir", "j'ai reçu", "et reçu",
        "错", "錯", "不是我", "别人", "收到的却是", "却是", "寄来的是", "不对", "完全不",
        "違う", "間違", "他の人", "のに", "違います", "来ました", "届きました",
    ),
    "missing": (
        "there are only", "solo hay", "sind aber nur", "n'y en a que",
        "只有0", "只到了", "しか入って", "しか届いて", "never came", "nunca llego", "kam nur eins",
        "没来", "来ていません",
        "missing", "not in the box", "not included", "only 0", "empty", "the rest", "didn't come",
        "was not in", "were not",
        "falta", "vacío", "vacio", "solo llegaron", "no venía", "no venian", "no venían",
        "fehlt", "fehlen", "leer", "nur 0", "lagen nicht", "nicht bei",
        "manque", "vide", "seulement 0", "n'étai", "pas dans",
        "少了", "少一", "没有", "沒有", "缺", "空的", "不见", "只收到", "补寄",
        "入っていません", "入っていな", "足りません", "空", "欠品", "しか",
    ),
    "size": (
        "collar", "cuello", "kragen", "col de la", "领", "襟",
        "size", "small", "big", "large", "tight", "loose", "too long", "petite", "fits", "fit ",
        "run large", "run small",
        "talla", "pequeñ", "grande", "aprieta", "larg", "corta", "queda",
        "größe", "grösse", "klein", "groß", "eng", "weit", "zu lang", "kurzgröße", "fällt", "fallen",
        "sitzt", "nummer grosser", "nummer kleiner",
        "taille", "petit", "grand", "serre", "trop long", "au-dessus",
        "码", "碼", "太小", "太大", "偏大", "偏小", "紧", "緊", "太長", "太长", "短", "尺寸", "0号",
        "サイズ", "小さ", "大き", "きつ", "長すぎ", "丈", "0号",
    ),
    "tracking": (
        "awaiting pickup", "pendiente de recogida", "wartet auf abholung", "attente d'enlevement", "等待揽收",
        "集荷待ち", "courier", "livreur", "zusteller", "repartidor", "派送员", "配達員", "supposed to ship",
        "devait partir", "tenia que salir", "发出", "出荷",
        "track", "where is my", "arrive", "delivery", "shipped", "shipping", "carrier", "lost",
        "package", "parcel", "hasn't moved", "update",
        "seguimiento", "paquete", "llega", "enviaron", "reparto", "perdido", "paquetería", "aviso",
        "sendung", "paket", "liefer", "zustell", "verschickt", "versand", "verloren", "dhl",
        "suivi", "colis", "livr", "expédi", "perdu", "recevoir", "colissimo",
        "物流", "快递", "快遞", "包裹", "到货", "发货", "發貨", "单号", "單號", "派送", "丢", "更新",
        "追跡", "荷物", "届き", "発送", "配達", "紛失", "更新",
    ),
    "cancel": (
        "cancel", "stop my order", "cancelar", "cancelen", "anul", "storn", "annul",
        "取消", "キャンセル",
    ),
    "mistake": (
        "mistake", "accident", "by error", "equivoqué", "sin querer", "error", "versehen", "verklickt",
        "erreur", "trompé", "下错", "下錯", "不小心", "間違えて", "間違って",
    ),
    "before_shipping": (
        "before it ships", "placed an order", "an hour ago", "antes de que", "hace una hora",
        "vor dem versand", "vor einer stunde", "avant l'expédition", "il y a une heure",
        "发货前", "小时前", "発送前", "時間前",
    ),
    "account": (
        "email address", "password", "my account details", "delete my account", "my data",
        "correo electronico", "contrasena", "borren mi cuenta", "mis datos",
        "kundenkonto", "e-mail-adresse", "passwort", "mein konto", "meine daten",
        "adresse e-mail", "mot de passe", "supprimer mon compte", "mes donnees",
        "账户", "賬戶", "邮箱", "郵箱", "注销", "删除", "アカウント", "メールアドレス", "個人データ", "削除",
    ),
    "store": (
        "physical store", "try things on", "try on", "tienda fisica", "probarme", "ladengeschaft",
        "anprobieren",
        "boutique", "essayer", "实体店", "试穿", "実店舗", "試着",
    ),
    "invoice": (
        "invoice", "vat", "receipt", "factura", "nif", "rechnung", "ust-id", "facture", "tva",
        "发票", "發票", "税号", "領収書",
    ),
    "discount": (
        "discount", "code", "coupon", "promo", "descuento", "código", "gutschein", "rabatt",
        "优惠", "優惠", "クーポン",
    ),
    "stock": (
        "in stock", "back in", "restock", "reponer", "stock", "auf lager", "wieder", "de nouveau",
        "补货", "補貨", "再入荷",
    ),
    "ship_to": (
        "ship to", "do you ship", "envíos a", "envios a", "liefern sie", "livrez-vous", "寄到", "送往",
        "への発送", "送料", "运费", "運費",
    ),
    "product_question": (
        "real or", "vegan", "made of", "material", "auténtica", "sintética", "echt", "kunstleder",
        "véritable", "synthétique", "真皮", "人造革", "本革", "合成皮革",
    ),
}

# What one character n-gram counts for against one matched concept (1.0): a concept is one strong
# cue, the n-grams are many weak ones that mostly break ties between concepts.
NGRAM_WEIGHT = 0.02


def fold(text: str) -> str:
    """Latin letters without their accents ("é" -> "e", "ü" -> "u"; "ß" stays): customers type
    both. Other scripts are left alone (a Japanese dakuten is a combining mark too)."""
    out = []
    for ch in text:
        if "\u00c0" <= ch <= "\u024f" and ch != "ß":
            base = unicodedata.normalize("NFKD", ch)[0]
            out.append(base if base.isascii() else ch)
        else:
            out.append(ch)
    return "".join(out)


# Stems compared with normalized (folded, lower-case) text, so they are folded the same way.
_FOLDED: dict[str, tuple[str, ...]] = {
    name: tuple(dict.fromkeys(fold(stem.lower()) for stem in stems)) for name, stems in CONCEPTS.items()
}


def concepts_in(normalized: str) -> list[str]:
    """The concepts whose stems occur in the normalized text (each once)."""
    return [name for name, stems in _FOLDED.items() if any(stem in normalized for stem in stems)]
