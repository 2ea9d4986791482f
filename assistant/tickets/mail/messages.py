"""What the supplier reads, in each of the six languages: emails and the accept/reject page.

One table per language, written natively rather than translated word for
word; every language has the same keys (a test checks it).  Placeholders are
``str.format`` fields filled by ``notifications.py``.
"""
from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "hello": "Hello,",
        "hello_name": "Hello {name},",
        "signature": "The STP Knowledge Center",
        "created.subject": "[{number}] Request received: {subject}",
        "created.body": """Thank you for contacting the STP Knowledge Center. We have received your request.

Ticket number: {number}
Reference code: {reference}
Subject: {subject}

An agent will review it and reply by email, usually within 2 business days. When you reply to our emails, keep the subject, the ticket number and the reference code unchanged so that your message reaches this ticket.

Keep the reference code to yourself: together with the ticket number it lets you view the ticket in Procuree.""",
        "info_requested.subject": "[{number}] Information needed: {subject}",
        "info_requested.body": """To continue with your ticket {number} ("{subject}"), the STP Knowledge Center needs more information:

{message}

Please answer in Procuree or reply to this email, keeping the subject and the ticket number unchanged.""",
        "solution_proposed.subject": "[{number}] Proposed solution: {subject}",
        "solution_proposed.body": """The STP Knowledge Center proposes this solution for your ticket {number} ("{subject}"):

{message}

Does it solve your problem?
Accept the solution (the ticket closes): {accept_url}
Reject the solution (tell us why; the ticket reopens): {reject_url}
Or answer by email: accept {accept_mailto} — reject {reject_mailto}

If you neither accept nor reject it within {days} business days, the ticket closes automatically.""",
        "closed.subject": "[{number}] Ticket closed: {subject}",
        "closed.body": """Your ticket {number} ("{subject}") is now closed. {reason}
{note}
A closed ticket cannot be reopened. If you need more help, open a new ticket in Procuree and mention {number}.""",
        "reason.accepted": "You accepted the proposed solution.",
        "reason.auto_closed": "The proposed solution was neither accepted nor rejected within {days} business days.",
        "reason.closed_by_agent": "An agent closed it.",
        "session_code.subject": "Your Procuree verification code",
        "session_code.body": """Your code to view your tickets in Procuree is: {code}

It is valid for {minutes} minutes. If you did not ask for it, ignore this email.""",
        "page.ticket": "Ticket {number}: {subject}",
        "page.accept": "Accept the proposed solution",
        "page.reject": "Reject the proposed solution",
        "page.comment": "Why does it not solve your problem? (required)",
        "page.confirm": "Confirm",
        "page.accepted": "Thank you. Ticket {number} is closed.",
        "page.rejected": "Thank you. Ticket {number} is open again; an agent will contact you.",
        "page.stale": "This link is no longer valid: the ticket has changed since the solution was proposed.",
        "page.comment_required": "Please tell us why the solution does not help.",
        "ticket_footer": """Ticket number: {number}
Reference code: {reference}""",
        "mailto.accept_body": "I accept the proposed solution. Just press Send.",
        "mailto.reject_body": "Write above this line why the solution does not solve your problem, then press Send.",
        "closed_reply.subject": "[{number}] This ticket is closed: {subject}",
        "closed_reply.body": """We received your email about ticket {number} ("{subject}"). That ticket is closed, and a closed ticket cannot be reopened, so your message was not added to it.

If you still need help, open a new ticket in Procuree and mention {number}; the agent will see the earlier ticket.""",
        "reject_comment_needed.subject": "[{number}] Please tell us why the solution does not help: {subject}",
        "reject_comment_needed.body": """We received your rejection of the solution proposed for ticket {number} ("{subject}"), but without a comment. To reject it, tell us why it does not solve your problem: write your comment in a reply to this email, or use this link: {reject_mailto}

The ticket keeps the proposed solution until then.""",
    },
    "fr": {
        "hello": "Bonjour,",
        "hello_name": "Bonjour {name},",
        "signature": "Le STP Knowledge Center",
        "created.subject": "[{number}] Demande reçue : {subject}",
        "created.body": """Merci d'avoir contacté le STP Knowledge Center. Nous avons bien reçu votre demande.

Numéro de ticket : {number}
Code de référence : {reference}
Objet : {subject}

Un agent va l'examiner et vous répondra par e-mail, en général sous 2 jours ouvrés. Lorsque vous répondez à nos e-mails, ne modifiez ni l'objet, ni le numéro de ticket, ni le code de référence : c'est ainsi que votre message rejoint ce ticket.

Gardez le code de référence pour vous : avec le numéro de ticket, il permet de consulter le ticket dans Procuree.""",
        "info_requested.subject": "[{number}] Informations nécessaires : {subject}",
        "info_requested.body": """Pour poursuivre le traitement de votre ticket {number} (« {subject} »), le STP Knowledge Center a besoin d'informations complémentaires :

{message}

Merci de répondre dans Procuree ou à cet e-mail, sans modifier l'objet ni le numéro de ticket.""",
        "solution_proposed.subject": "[{number}] Solution proposée : {subject}",
        "solution_proposed.body": """Le STP Knowledge Center vous propose la solution suivante pour votre ticket {number} (« {subject} ») :

{message}

Cette solution résout-elle votre problème ?
Accepter la solution (le ticket sera clôturé) : {accept_url}
Refuser la solution (dites-nous pourquoi ; le ticket sera rouvert) : {reject_url}
Ou répondez par e-mail : accepter {accept_mailto} — refuser {reject_mailto}

Sans réponse de votre part sous {days} jours ouvrés, le ticket sera clôturé automatiquement.""",
        "closed.subject": "[{number}] Ticket clôturé : {subject}",
        "closed.body": """Votre ticket {number} (« {subject} ») est désormais clôturé. {reason}
{note}
Un ticket clôturé ne peut pas être rouvert. Si vous avez encore besoin d'aide, ouvrez un nouveau ticket dans Procuree en indiquant le numéro {number}.""",
        "reason.accepted": "Vous avez accepté la solution proposée.",
        "reason.auto_closed": "La solution proposée n'a été ni acceptée ni refusée dans un délai de {days} jours ouvrés.",
        "reason.closed_by_agent": "Un agent l'a clôturé.",
        "session_code.subject": "Votre code de vérification Procuree",
        "session_code.body": """Voici votre code pour consulter vos tickets dans Procuree : {code}

Il est valable {minutes} minutes. Si vous ne l'avez pas demandé, ignorez cet e-mail.""",
        "page.ticket": "Ticket {number} : {subject}",
        "page.accept": "Accepter la solution proposée",
        "page.reject": "Refuser la solution proposée",
        "page.comment": "Pourquoi ne résout-elle pas votre problème ? (obligatoire)",
        "page.confirm": "Confirmer",
        "page.accepted": "Merci. Le ticket {number} est clôturé.",
        "page.rejected": "Merci. Le ticket {number} est rouvert ; un agent va vous recontacter.",
        "page.stale": "Ce lien n'est plus valable : le ticket a changé depuis la proposition de solution.",
        "page.comment_required": "Dites-nous pourquoi la solution ne vous aide pas.",
        "ticket_footer": """Numéro de ticket : {number}
Code de référence : {reference}""",
        "mailto.accept_body": "J'accepte la solution proposée. Il suffit de cliquer sur Envoyer.",
        "mailto.reject_body": "Écrivez au-dessus de cette ligne pourquoi la solution ne résout pas votre problème, puis cliquez sur Envoyer.",
        "closed_reply.subject": "[{number}] Ce ticket est clôturé : {subject}",
        "closed_reply.body": """Nous avons bien reçu votre e-mail concernant le ticket {number} (« {subject} »). Ce ticket est clôturé et un ticket clôturé ne peut pas être rouvert : votre message n'y a donc pas été ajouté.

Si vous avez encore besoin d'aide, ouvrez un nouveau ticket dans Procuree en indiquant le numéro {number} ; l'agent retrouvera ainsi l'ancien ticket.""",
        "reject_comment_needed.subject": "[{number}] Dites-nous pourquoi la solution ne convient pas : {subject}",
        "reject_comment_needed.body": """Nous avons reçu votre refus de la solution proposée pour le ticket {number} (« {subject} »), mais sans commentaire. Pour la refuser, expliquez-nous pourquoi elle ne résout pas votre problème : répondez à cet e-mail avec votre commentaire, ou utilisez ce lien : {reject_mailto}

D'ici là, la solution proposée reste en attente sur le ticket.""",
    },
    "de": {
        "hello": "Guten Tag,",
        "hello_name": "Guten Tag {name},",
        "signature": "Ihr STP Knowledge Center",
        "created.subject": "[{number}] Anfrage erhalten: {subject}",
        "created.body": """vielen Dank, dass Sie sich an das STP Knowledge Center gewandt haben. Wir haben Ihre Anfrage erhalten.

Ticketnummer: {number}
Referenzcode: {reference}
Betreff: {subject}

Ein Mitarbeiter prüft Ihre Anfrage und antwortet Ihnen per E-Mail, in der Regel innerhalb von 2 Werktagen. Wenn Sie auf unsere E-Mails antworten, lassen Sie bitte Betreff, Ticketnummer und Referenzcode unverändert, damit Ihre Nachricht diesem Ticket zugeordnet wird.

Geben Sie den Referenzcode nicht weiter: Zusammen mit der Ticketnummer können Sie damit das Ticket in Procuree einsehen.""",
        "info_requested.subject": "[{number}] Informationen benötigt: {subject}",
        "info_requested.body": """um Ihr Ticket {number} („{subject}“) weiter bearbeiten zu können, benötigt das STP Knowledge Center weitere Informationen:

{message}

Bitte antworten Sie in Procuree oder auf diese E-Mail und lassen Sie dabei Betreff und Ticketnummer unverändert.""",
        "solution_proposed.subject": "[{number}] Lösungsvorschlag: {subject}",
        "solution_proposed.body": """das STP Knowledge Center schlägt für Ihr Ticket {number} („{subject}“) folgende Lösung vor:

{message}

Ist Ihr Problem damit gelöst?
Lösung annehmen (das Ticket wird geschlossen): {accept_url}
Lösung ablehnen (bitte mit Begründung; das Ticket wird wieder geöffnet): {reject_url}
Oder per E-Mail antworten: annehmen {accept_mailto} — ablehnen {reject_mailto}

Wenn Sie die Lösung innerhalb von {days} Werktagen weder annehmen noch ablehnen, wird das Ticket automatisch geschlossen.""",
        "closed.subject": "[{number}] Ticket geschlossen: {subject}",
        "closed.body": """Ihr Ticket {number} („{subject}“) ist jetzt geschlossen. {reason}
{note}
Ein geschlossenes Ticket kann nicht wieder geöffnet werden. Wenn Sie weitere Hilfe benötigen, eröffnen Sie bitte in Procuree ein neues Ticket und geben Sie die Nummer {number} an.""",
        "reason.accepted": "Sie haben die vorgeschlagene Lösung angenommen.",
        "reason.auto_closed": "Die vorgeschlagene Lösung wurde innerhalb von {days} Werktagen weder angenommen noch abgelehnt.",
        "reason.closed_by_agent": "Ein Mitarbeiter hat es geschlossen.",
        "session_code.subject": "Ihr Bestätigungscode für Procuree",
        "session_code.body": """Ihr Code zum Anzeigen Ihrer Tickets in Procuree lautet: {code}

Er ist {minutes} Minuten gültig. Falls Sie ihn nicht angefordert haben, ignorieren Sie diese E-Mail bitte.""",
        "page.ticket": "Ticket {number}: {subject}",
        "page.accept": "Vorgeschlagene Lösung annehmen",
        "page.reject": "Vorgeschlagene Lösung ablehnen",
        "page.comment": "Warum löst sie Ihr Problem nicht? (Pflichtfeld)",
        "page.confirm": "Bestätigen",
        "page.accepted": "Vielen Dank. Das Ticket {number} ist geschlossen.",
        "page.rejected": "Vielen Dank. Das Ticket {number} ist wieder geöffnet; ein Mitarbeiter meldet sich bei Ihnen.",
        "page.stale": "Dieser Link ist nicht mehr gültig: Das Ticket hat sich seit dem Lösungsvorschlag geändert.",
        "page.comment_required": "Bitte teilen Sie uns mit, warum die Lösung nicht hilft.",
        "ticket_footer": """Ticketnummer: {number}
Referenzcode: {reference}""",
        "mailto.accept_body": "Ich nehme die vorgeschlagene Lösung an. Klicken Sie einfach auf Senden.",
        "mailto.reject_body": "Schreiben Sie oberhalb dieser Zeile, warum die Lösung Ihr Problem nicht löst, und klicken Sie dann auf Senden.",
        "closed_reply.subject": "[{number}] Dieses Ticket ist geschlossen: {subject}",
        "closed_reply.body": """Wir haben Ihre E-Mail zum Ticket {number} („{subject}“) erhalten. Dieses Ticket ist geschlossen, und ein geschlossenes Ticket kann nicht wieder geöffnet werden; Ihre Nachricht wurde ihm daher nicht hinzugefügt.

Wenn Sie weiterhin Hilfe brauchen, eröffnen Sie in Procuree ein neues Ticket und nennen Sie darin {number}; so sieht der Mitarbeiter auch das frühere Ticket.""",
        "reject_comment_needed.subject": "[{number}] Bitte sagen Sie uns, warum die Lösung nicht hilft: {subject}",
        "reject_comment_needed.body": """Wir haben Ihre Ablehnung der für das Ticket {number} („{subject}“) vorgeschlagenen Lösung erhalten, allerdings ohne Begründung. Um sie abzulehnen, schreiben Sie uns bitte, warum sie Ihr Problem nicht löst: als Antwort auf diese E-Mail oder über diesen Link: {reject_mailto}

Bis dahin bleibt die vorgeschlagene Lösung am Ticket bestehen.""",
    },
    "ko": {
        "hello": "안녕하세요.",
        "hello_name": "{name}님, 안녕하세요.",
        "signature": "STP 지식 센터 드림",
        "created.subject": "[{number}] 문의가 접수되었습니다: {subject}",
        "created.body": """STP 지식 센터에 문의해 주셔서 감사합니다. 요청이 정상적으로 접수되었습니다.

티켓 번호: {number}
참조 코드: {reference}
제목: {subject}

담당자가 내용을 검토한 후 이메일로 답변드리며, 보통 영업일 기준 2일 이내에 회신합니다. 저희 이메일에 회신하실 때에는 제목, 티켓 번호, 참조 코드를 바꾸지 말고 그대로 유지해 주세요. 그래야 회신 내용이 이 티켓에 연결됩니다.

참조 코드는 다른 사람과 공유하지 마세요. 티켓 번호와 함께 Procuree에서 티켓을 조회할 때 사용됩니다.""",
        "info_requested.subject": "[{number}] 추가 정보 요청: {subject}",
        "info_requested.body": """티켓 {number}("{subject}")을(를) 계속 처리하려면 다음 정보가 더 필요합니다.

{message}

Procuree에서 답변하시거나 이 이메일에 회신해 주세요. 회신하실 때 제목과 티켓 번호는 그대로 유지해 주세요.""",
        "solution_proposed.subject": "[{number}] 해결 방안 안내: {subject}",
        "solution_proposed.body": """STP 지식 센터에서 티켓 {number}("{subject}")에 대해 다음 해결 방안을 제안드립니다.

{message}

문제가 해결되었나요?
해결 방안 수락(티켓이 종료됩니다): {accept_url}
해결 방안 거절(사유를 알려 주시면 티켓이 다시 열립니다): {reject_url}
이메일로 답변하기: 수락 {accept_mailto} — 거절 {reject_mailto}

영업일 기준 {days}일 이내에 수락하거나 거절하지 않으시면 티켓은 자동으로 종료됩니다.""",
        "closed.subject": "[{number}] 티켓이 종료되었습니다: {subject}",
        "closed.body": """티켓 {number}("{subject}")이(가) 종료되었습니다. {reason}
{note}
종료된 티켓은 다시 열 수 없습니다. 도움이 더 필요하시면 Procuree에서 새 티켓을 만들고 티켓 번호 {number}을(를) 함께 적어 주세요.""",
        "reason.accepted": "제안된 해결 방안을 수락하셨습니다.",
        "reason.auto_closed": "제안된 해결 방안이 영업일 기준 {days}일 이내에 수락되거나 거절되지 않았습니다.",
        "reason.closed_by_agent": "담당자가 티켓을 종료했습니다.",
        "session_code.subject": "Procuree 인증 코드",
        "session_code.body": """Procuree에서 티켓을 조회하기 위한 인증 코드는 {code}입니다.

이 코드는 {minutes}분 동안 유효합니다. 요청하지 않으셨다면 이 이메일은 무시하셔도 됩니다.""",
        "page.ticket": "티켓 {number}: {subject}",
        "page.accept": "제안된 해결 방안 수락",
        "page.reject": "제안된 해결 방안 거절",
        "page.comment": "문제가 해결되지 않은 이유를 알려 주세요(필수)",
        "page.confirm": "확인",
        "page.accepted": "감사합니다. 티켓 {number}이(가) 종료되었습니다.",
        "page.rejected": "감사합니다. 티켓 {number}이(가) 다시 열렸으며 담당자가 연락드릴 예정입니다.",
        "page.stale": "이 링크는 더 이상 유효하지 않습니다. 해결 방안이 제안된 뒤 티켓이 변경되었습니다.",
        "page.comment_required": "해결 방안이 도움이 되지 않은 이유를 알려 주세요.",
        "ticket_footer": """티켓 번호: {number}
참조 코드: {reference}""",
        "mailto.accept_body": "제안된 해결 방안을 수락합니다. 보내기만 누르시면 됩니다.",
        "mailto.reject_body": "이 줄 위에 해결 방안으로 문제가 해결되지 않는 이유를 적은 뒤 보내기를 눌러 주세요.",
        "closed_reply.subject": "[{number}] 이 티켓은 종료되었습니다: {subject}",
        "closed_reply.body": """티켓 {number}("{subject}")에 대한 이메일을 받았습니다. 이 티켓은 이미 종료되었으며 종료된 티켓은 다시 열 수 없어 보내주신 내용은 티켓에 추가되지 않았습니다.

추가 도움이 필요하시면 Procuree에서 새 티켓을 만들고 {number}를 함께 적어 주세요. 담당자가 이전 티켓도 확인할 수 있습니다.""",
        "reject_comment_needed.subject": "[{number}] 해결 방안이 도움이 되지 않는 이유를 알려 주세요: {subject}",
        "reject_comment_needed.body": """티켓 {number}("{subject}")에 제안된 해결 방안에 대한 거절을 받았지만 사유가 없었습니다. 거절하시려면 문제가 해결되지 않는 이유를 알려 주세요. 이 이메일에 회신하거나 다음 링크를 이용하시면 됩니다: {reject_mailto}

그때까지 제안된 해결 방안은 티켓에 그대로 유지됩니다.""",
    },
    "zh-Hans": {
        "hello": "您好！",
        "hello_name": "{name}，您好！",
        "signature": "STP 知识中心",
        "created.subject": "[{number}] 已收到您的请求：{subject}",
        "created.body": """感谢您联系 STP 知识中心。我们已收到您的请求。

工单编号：{number}
参考代码：{reference}
主题：{subject}

客服人员会审核您的请求并通过电子邮件回复您，通常在 2 个工作日内。回复我们的邮件时，请保持主题、工单编号和参考代码不变，这样您的消息才能关联到此工单。

请妥善保管参考代码：凭参考代码和工单编号，您可以在 Procuree 中查看此工单。""",
        "info_requested.subject": "[{number}] 需要补充信息：{subject}",
        "info_requested.body": """为了继续处理您的工单 {number}（“{subject}”），STP 知识中心需要您补充以下信息：

{message}

请在 Procuree 中答复或直接回复此邮件，并保持主题和工单编号不变。""",
        "solution_proposed.subject": "[{number}] 解决方案：{subject}",
        "solution_proposed.body": """针对您的工单 {number}（“{subject}”），STP 知识中心提出以下解决方案：

{message}

问题是否已解决？
接受解决方案（工单将关闭）：{accept_url}
拒绝解决方案（请说明原因，工单将重新打开）：{reject_url}
也可以通过邮件答复：接受 {accept_mailto} —— 拒绝 {reject_mailto}

如果您在 {days} 个工作日内既未接受也未拒绝，工单将自动关闭。""",
        "closed.subject": "[{number}] 工单已关闭：{subject}",
        "closed.body": """您的工单 {number}（“{subject}”）已关闭。{reason}
{note}
已关闭的工单无法重新打开。如需进一步帮助，请在 Procuree 中新建工单并注明工单编号 {number}。""",
        "reason.accepted": "您已接受提出的解决方案。",
        "reason.auto_closed": "提出的解决方案在 {days} 个工作日内既未被接受也未被拒绝。",
        "reason.closed_by_agent": "客服人员已关闭此工单。",
        "session_code.subject": "您的 Procuree 验证码",
        "session_code.body": """您在 Procuree 中查看工单的验证码是：{code}

验证码在 {minutes} 分钟内有效。如果这不是您本人的请求，请忽略此邮件。""",
        "page.ticket": "工单 {number}：{subject}",
        "page.accept": "接受解决方案",
        "page.reject": "拒绝解决方案",
        "page.comment": "请说明问题为何仍未解决（必填）",
        "page.confirm": "确认",
        "page.accepted": "谢谢！工单 {number} 已关闭。",
        "page.rejected": "谢谢！工单 {number} 已重新打开，客服人员将与您联系。",
        "page.stale": "此链接已失效：提出解决方案后，工单已有变动。",
        "page.comment_required": "请告诉我们该解决方案为何没有帮助。",
        "ticket_footer": """工单编号：{number}
参考代码：{reference}""",
        "mailto.accept_body": "我接受所提出的解决方案。直接点击发送即可。",
        "mailto.reject_body": "请在这一行上方写明该方案为何没有解决您的问题，然后点击发送。",
        "closed_reply.subject": "[{number}] 此工单已关闭：{subject}",
        "closed_reply.body": """我们收到了您关于工单 {number}（“{subject}”）的邮件。该工单已关闭，已关闭的工单无法重新打开，因此您的消息没有添加到该工单中。

如果您仍需要帮助，请在 Procuree 中新建工单并注明 {number}，客服人员即可查看之前的工单。""",
        "reject_comment_needed.subject": "[{number}] 请告诉我们该方案为何没有帮助：{subject}",
        "reject_comment_needed.body": """我们收到了您对工单 {number}（“{subject}”）所提解决方案的拒绝，但没有附上原因。如要拒绝，请说明该方案为何没有解决您的问题：直接回复此邮件写下原因，或使用此链接：{reject_mailto}

在此之前，工单上的解决方案保持不变。""",
    },
    "zh-Hant": {
        "hello": "您好！",
        "hello_name": "{name}，您好！",
        "signature": "STP 知識中心",
        "created.subject": "[{number}] 已收到您的請求：{subject}",
        "created.body": """感謝您聯絡 STP 知識中心。我們已收到您的請求。

工單編號：{number}
參考代碼：{reference}
主旨：{subject}

專員會審核您的請求並透過電子郵件回覆您，通常在 2 個工作天內。回覆我們的郵件時，請保持主旨、工單編號和參考代碼不變，這樣您的訊息才能連結到此工單。

請妥善保管參考代碼：憑參考代碼和工單編號，您可以在 Procuree 中查看此工單。""",
        "info_requested.subject": "[{number}] 需要補充資訊：{subject}",
        "info_requested.body": """為了繼續處理您的工單 {number}（「{subject}」），STP 知識中心需要您補充以下資訊：

{message}

請在 Procuree 中答覆或直接回覆此郵件，並保持主旨和工單編號不變。""",
        "solution_proposed.subject": "[{number}] 解決方案：{subject}",
        "solution_proposed.body": """針對您的工單 {number}（「{subject}」），STP 知識中心提出以下解決方案：

{message}

問題是否已解決？
接受解決方案（工單將關閉）：{accept_url}
拒絕解決方案（請說明原因，工單將重新開啟）：{reject_url}
也可以透過郵件答覆：接受 {accept_mailto} —— 拒絕 {reject_mailto}

如果您在 {days} 個工作天內既未接受也未拒絕，工單將自動關閉。""",
        "closed.subject": "[{number}] 工單已關閉：{subject}",
        "closed.body": """您的工單 {number}（「{subject}」）已關閉。{reason}
{note}
已關閉的工單無法重新開啟。如需進一步協助，請在 Procuree 中建立新工單並註明工單編號 {number}。""",
        "reason.accepted": "您已接受提出的解決方案。",
        "reason.auto_closed": "提出的解決方案在 {days} 個工作天內既未被接受也未被拒絕。",
        "reason.closed_by_agent": "專員已關閉此工單。",
        "session_code.subject": "您的 Procuree 驗證碼",
        "session_code.body": """您在 Procuree 中查看工單的驗證碼是：{code}

驗證碼在 {minutes} 分鐘內有效。如果這不是您本人的請求，請忽略此郵件。""",
        "page.ticket": "工單 {number}：{subject}",
        "page.accept": "接受解決方案",
        "page.reject": "拒絕解決方案",
        "page.comment": "請說明問題為何仍未解決（必填）",
        "page.confirm": "確認",
        "page.accepted": "謝謝！工單 {number} 已關閉。",
        "page.rejected": "謝謝！工單 {number} 已重新開啟，專員將與您聯絡。",
        "page.stale": "此連結已失效：提出解決方案後，工單已有變動。",
        "page.comment_required": "請告訴我們該解決方案為何沒有幫助。",
        "ticket_footer": """工單編號：{number}
參考代碼：{reference}""",
        "mailto.accept_body": "我接受所提出的解決方案。直接按下傳送即可。",
        "mailto.reject_body": "請在這一行上方寫明該方案為何沒有解決您的問題，然後按下傳送。",
        "closed_reply.subject": "[{number}] 此工單已關閉：{subject}",
        "closed_reply.body": """我們收到了您關於工單 {number}（「{subject}」）的郵件。該工單已關閉，已關閉的工單無法重新開啟，因此您的訊息沒有加入該工單。

如果您仍需要協助，請在 Procuree 中建立新工單並註明 {number}，專員即可查看先前的工單。""",
        "reject_comment_needed.subject": "[{number}] 請告訴我們該方案為何沒有幫助：{subject}",
        "reject_comment_needed.body": """我們收到了您對工單 {number}（「{subject}」）所提解決方案的拒絕，但沒有附上原因。如要拒絕，請說明該方案為何沒有解決您的問題：直接回覆此郵件寫下原因，或使用此連結：{reject_mailto}

在此之前，工單上的解決方案維持不變。""",
    },
}
