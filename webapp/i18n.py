"""Vietnamese first, English second: the request's language and the messages of errors and pages."""

from flask import g, request

LANGUAGES = ("vi", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    # errors (API and forms)
    "invalid": ("Dữ liệu chưa hợp lệ. Vui lòng kiểm tra các trường được nêu.", "Some fields are not valid."),
    "not_found": ("Không tìm thấy.", "Not found."),
    "forbidden": ("Bạn không có quyền thực hiện thao tác này.", "You are not allowed to do this."),
    "role_not_allowed": ("Vai trò của bạn không được thực hiện thao tác này.", "Your role may not do this."),
    "own_application": ("Bạn không thể xét hồ sơ của chính mình.", "You cannot review your own application."),
    "conflict": ("Yêu cầu xung đột với trạng thái hiện tại.", "The request conflicts with the current state."),
    "stale_version": ("Hồ sơ đã được người khác cập nhật. Vui lòng tải lại và thử lại.",
                      "Someone else changed this application. Reload and try again."),
    "invalid_transition": ("Không thể thực hiện thao tác này ở trạng thái hiện tại.",
                           "This action is not possible in the current state."),
    "not_editable": ("Hồ sơ đã nộp, không thể sửa.", "The application was submitted and cannot be changed."),
    "cccd_exists": ("Số CCCD này đã được đăng ký.", "This CCCD is already registered."),
    "username_exists": ("Tên đăng nhập đã tồn tại.", "This username exists."),
    "application_exists": ("Bạn đã có hồ sơ cho năm này.", "You already have an application for this year."),
    "decision_exists": ("Số quyết định đã được dùng trong phường/xã.", "This decision number is already used."),
    "pass_rule_failed": ("Điểm chưa đạt: tổng điểm phải từ 80 trở lên và không tiêu chí nào dưới 5.",
                         "The scores do not pass: total at least 80 and no indicator below 5."),
    "incomplete": ("Hồ sơ chưa đủ để nộp.", "The application is not complete."),
    "applications_not_eligible": ("Có hồ sơ chưa được duyệt hoặc không đúng năm.",
                                  "Some applications are not approved or not of this year."),
    "no_criteria_for_year": ("Chưa có bộ tiêu chí cho năm này.", "There are no criteria for this year."),
    "unauthorized": ("Vui lòng đăng nhập.", "Please sign in."),
    "bad_credentials": ("Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong username or password."),
    "rate_limited": ("Bạn đã thử quá nhiều lần. Vui lòng đợi một phút.", "Too many attempts. Wait a minute."),
    "invalid_characters": ("Nội dung có ký tự không hợp lệ.", "The request contains characters that are not allowed."),
    "server_error": ("Hệ thống gặp lỗi. Vui lòng thử lại sau ít phút.",
                     "Something went wrong. Try again in a few minutes."),
    "bad_json": ("Nội dung gửi lên phải là JSON hợp lệ.", "The body must be valid JSON."),
    "too_large": ("Tệp quá lớn (tối đa 10 MB).", "The file is too large (10 MB at most)."),
    "unsupported_media": ("Định dạng không được hỗ trợ.", "Unsupported media type."),
    "not_issued_yet": ("Giấy chứng nhận đang được tạo, vui lòng thử lại sau.",
                       "The certificate is still being produced; try again later."),
    "method_not_allowed": ("Phương thức không được hỗ trợ.", "Method not allowed."),
    "csrf": ("Phiên làm việc đã hết hạn. Vui lòng gửi lại biểu mẫu.", "The form expired. Please submit it again."),
    # field error codes
    "required": ("Trường này là bắt buộc.", "This field is required."),
    "too_long": ("Nội dung quá dài.", "Too long."),
    "too_short": ("Nội dung quá ngắn.", "Too short."),
    "not_text": ("Phải là văn bản.", "Must be text."),
    "date_format": ("Ngày phải theo dạng NNNN-TT-NN.", "Dates must be YYYY-MM-DD."),
    "date_out_of_range": ("Ngày không hợp lệ.", "The date is out of range."),
    "not_integer": ("Phải là số nguyên.", "Must be a whole number."),
    "out_of_range": ("Giá trị nằm ngoài khoảng cho phép.", "The value is out of range."),
    "invalid_choice": ("Lựa chọn không hợp lệ.", "Not one of the allowed choices."),
    "consent_required": ("Bạn cần đồng ý cho xử lý dữ liệu cá nhân để đăng ký.",
                         "You must consent to the processing of personal data to register."),
    "cccd_format": ("Số CCCD phải gồm đúng 12 chữ số.", "The CCCD must be exactly 12 digits."),
    "cccd_province": ("Ba chữ số đầu của CCCD không phải mã tỉnh hợp lệ.",
                      "The first three digits of the CCCD are not a province code."),
    "cccd_birth_mismatch": ("Số CCCD không khớp với năm sinh.", "The CCCD does not match the year of birth."),
    "cccd_sex_mismatch": ("Số CCCD không khớp với giới tính.", "The CCCD does not match the sex."),
    "password_too_short": ("Mật khẩu phải có ít nhất 8 ký tự.", "The password needs at least 8 characters."),
    "email_format": ("Địa chỉ email không hợp lệ.", "The e-mail address is not valid."),
    "unknown_ward": ("Không có phường/xã với mã này.", "There is no ward with this code."),
    "unknown_indicator": ("Không có tiêu chí này.", "Unknown indicator."),
    "score_not_integer": ("Điểm phải là số nguyên từ 0 đến 10.", "Scores are whole numbers from 0 to 10."),
    "score_out_of_range": ("Điểm phải từ 0 đến 10.", "Scores go from 0 to 10."),
    "invalid_scores": ("Điểm phải là danh sách mã tiêu chí và điểm.", "Scores must map indicator codes to numbers."),
    "below_minimum": ("Tiêu chí này dưới 5 điểm.", "This indicator is below 5."),
    "total_below_pass": ("Tổng điểm dưới 80.", "The total is below 80."),
    "incomplete_scores": ("Chưa tự chấm đủ 10 tiêu chí.", "Not all ten indicators are self-scored."),
    "no_activity": ("Cần ghi ít nhất một hoạt động học tập.", "Log at least one learning activity."),
    "outside_year": ("Hoạt động phải thuộc năm của hồ sơ.", "The activity must fall in the application's year."),
    "date_in_future": ("Ngày này chưa đến.", "This date is in the future."),
    "before_start": ("Ngày kết thúc trước ngày bắt đầu.", "The end date is before the start date."),
    "comment_required": ("Cần ghi lý do.", "A reason is required."),
    "not_approved": ("Hồ sơ chưa được duyệt.", "The application is not approved."),
    "wrong_year": ("Hồ sơ không thuộc năm của quyết định.", "The application is not of the decision's year."),
    "invalid_list": ("Danh sách không hợp lệ.", "The list is not valid."),
    "file_type": ("Chỉ nhận tệp PDF, JPG hoặc PNG.", "Only PDF, JPG or PNG files are accepted."),
    "file_empty": ("Tệp rỗng.", "The file is empty."),
    "file_too_large": ("Tệp quá lớn (tối đa 10 MB).", "The file is too large (10 MB at most)."),
    "file_encrypted": ("Tệp PDF có mật khẩu, vui lòng gửi bản không khoá.",
                       "The PDF is password-protected; send an unlocked copy."),
    "file_damaged": ("Tệp bị hỏng hoặc không đọc được.", "The file is damaged or unreadable."),
    # pages (forms with day / month / year fields)
    "date_parts": ("Nhập ngày, tháng và năm bằng số, ví dụ 17 5 1990.",
                   "Enter the day, month and year as numbers, for example 17 5 1990."),
    "date_invalid": ("Ngày này không có trên lịch (ví dụ 31/02).", "This date does not exist (for example 31/02)."),
    "no_selection": ("Chọn ít nhất một hồ sơ.", "Select at least one application."),
}


def locale() -> str:
    """Pick the language: ?lang=, then the cookie; the API also honours Accept-Language. Vietnamese by default."""
    if "locale" in g:
        return str(g.locale)
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen not in LANGUAGES:
        chosen = "vi"
        # Pages stay Vietnamese until the visitor picks English (many phones here run an English UI);
        # API clients ask explicitly with Accept-Language.
        if request.path.startswith("/api/") and request.accept_languages:
            first = request.accept_languages[0][0].lower()
            chosen = "en" if first.startswith("en") else "vi"
    g.locale = chosen
    return chosen


def message(code: str, lang: str | None = None) -> str:
    """Translate a message code; an unknown code falls back to the generic one."""
    vi, en = MESSAGES.get(code, MESSAGES["invalid"])
    return en if (lang or locale()) == "en" else vi


def pick(vi: str, en: str) -> str:
    """Choose between a Vietnamese and an English text for the current request."""
    return en if locale() == "en" else vi
