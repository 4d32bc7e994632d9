"""The synthetic city's tables: Vietnamese name frequencies, the age pyramid, target groups and shares of states.

Weights are relative (they need not sum to 100). Surname shares follow the commonly cited national frequencies;
middle and given names are the common ones by sex, middle names also by generation (younger women are far less
often "Thị"). Every string is NFC (checked by the tests), as `workflows.names.normalise` stores names.
"""

Weighted = tuple[tuple[str, float], ...]  # (value, relative weight)

SURNAMES: Weighted = (
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Hoàng", 5.0), ("Phan", 4.5), ("Vũ", 3.9),
    ("Đặng", 2.1), ("Bùi", 2.0), ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5),
    # the remaining ~11 %: common northern surnames
    ("Đào", 1.0), ("Đoàn", 0.9), ("Đinh", 0.9), ("Trịnh", 0.8), ("Trương", 0.6), ("Lương", 0.6), ("Mai", 0.6),
    ("Hà", 0.5), ("Tạ", 0.5), ("Cao", 0.5), ("Lưu", 0.5), ("Vương", 0.4), ("Kiều", 0.4), ("Chu", 0.4),
    ("Phùng", 0.4), ("Tô", 0.4), ("Lâm", 0.3), ("Quách", 0.3), ("Nghiêm", 0.3), ("Triệu", 0.3), ("Thái", 0.3),
    ("Lại", 0.3), ("Tăng", 0.2), ("Khúc", 0.2), ("Nông", 0.2), ("Hứa", 0.2), ("Giang", 0.2), ("Mạc", 0.2),
    ("La", 0.2), ("Khổng", 0.1), ("Âu", 0.1), ("Doãn", 0.1), ("Ninh", 0.1), ("Lã", 0.1),
)

MIDDLE_MALE_OLDER: Weighted = (  # born before 1985
    ("Văn", 40.0), ("Đức", 10.0), ("Minh", 6.0), ("Quang", 6.0), ("Hữu", 6.0), ("Xuân", 5.0), ("Đình", 5.0),
    ("Công", 5.0), ("Ngọc", 3.0), ("Thanh", 3.0), ("Trọng", 3.0), ("Mạnh", 2.0), ("Tiến", 2.0), ("Hoàng", 2.0),
    ("Thế", 1.5), ("Hồng", 1.0), ("Bá", 1.0), ("Duy", 1.0),
)
MIDDLE_MALE_YOUNGER: Weighted = (
    ("Văn", 15.0), ("Minh", 14.0), ("Đức", 12.0), ("Quang", 8.0), ("Hoàng", 6.0), ("Gia", 6.0), ("Thành", 5.0),
    ("Anh", 4.0), ("Tuấn", 4.0), ("Hữu", 4.0), ("Công", 4.0), ("Bảo", 4.0), ("Xuân", 3.0), ("Hải", 3.0),
    ("Trung", 3.0), ("Đăng", 3.0), ("Nhật", 2.0), ("Duy", 2.0), ("Khánh", 2.0),
)
MIDDLE_FEMALE_OLDER: Weighted = (
    ("Thị", 55.0), ("Ngọc", 6.0), ("Thu", 6.0), ("Thanh", 6.0), ("Hồng", 5.0), ("Kim", 4.0), ("Minh", 3.0),
    ("Phương", 3.0), ("Bích", 3.0), ("Thúy", 3.0), ("Lan", 2.0), ("Mai", 2.0), ("Hải", 2.0),
)
MIDDLE_FEMALE_YOUNGER: Weighted = (
    ("Thị", 15.0), ("Ngọc", 10.0), ("Minh", 8.0), ("Thu", 7.0), ("Thanh", 6.0), ("Phương", 6.0), ("Khánh", 5.0),
    ("Bảo", 5.0), ("Thùy", 5.0), ("Thảo", 4.0), ("Hà", 4.0), ("Mai", 4.0), ("Hồng", 3.0), ("Diệu", 3.0),
    ("Gia", 3.0), ("Quỳnh", 3.0), ("Hải", 3.0), ("Tuệ", 2.0), ("Linh", 2.0),
)
GIVEN_MALE: Weighted = (
    ("Anh", 6.0), ("Minh", 5.0), ("Hùng", 5.0), ("Dũng", 5.0), ("Tuấn", 5.0), ("Nam", 4.0), ("Hải", 4.0),
    ("Long", 4.0), ("Đức", 4.0), ("Huy", 4.0), ("Sơn", 4.0), ("Thắng", 4.0), ("Hoàng", 3.0), ("Quân", 3.0),
    ("Trung", 3.0), ("Hiếu", 3.0), ("Thành", 3.0), ("Tùng", 3.0), ("Cường", 3.0), ("Việt", 3.0), ("Hưng", 3.0),
    ("Đạt", 3.0), ("Bình", 3.0), ("Khoa", 2.0), ("Phúc", 2.0), ("Bảo", 2.0), ("Khôi", 2.0), ("Kiên", 2.0),
    ("Lâm", 2.0), ("Vinh", 2.0), ("Thịnh", 2.0), ("Hiệp", 2.0), ("Toàn", 2.0), ("Phong", 2.0), ("Quang", 2.0),
    ("Nghĩa", 2.0), ("Tiến", 2.0), ("Tú", 2.0), ("Duy", 2.0), ("Khánh", 2.0), ("Chiến", 2.0), ("Tài", 1.0),
    ("Lộc", 1.0), ("Thái", 1.0), ("Hậu", 1.0), ("Thanh", 1.0), ("Quý", 1.0), ("Đông", 1.0), ("Trường", 1.0),
    ("Thuận", 1.0), ("Định", 1.0), ("Ngọc", 1.0),
)
GIVEN_FEMALE: Weighted = (
    ("Anh", 6.0), ("Linh", 5.0), ("Hương", 5.0), ("Trang", 5.0), ("Huyền", 4.0), ("Hà", 4.0), ("Lan", 4.0),
    ("Thảo", 4.0), ("Hằng", 4.0), ("Mai", 4.0), ("Phương", 4.0), ("Ngọc", 3.0), ("Thủy", 3.0), ("Hoa", 3.0),
    ("Nhung", 3.0), ("Yến", 3.0), ("Hạnh", 3.0), ("Nga", 3.0), ("Dung", 3.0), ("Hiền", 3.0), ("Vy", 2.0),
    ("Oanh", 2.0), ("Quỳnh", 2.0), ("Nhi", 2.0), ("Giang", 2.0), ("Loan", 2.0), ("Thu", 2.0), ("My", 2.0),
    ("Ánh", 2.0), ("Tâm", 2.0), ("Vân", 2.0), ("Hồng", 2.0), ("Liên", 2.0), ("Chi", 2.0), ("Duyên", 2.0),
    ("Thư", 2.0), ("Thúy", 2.0), ("Ngân", 2.0), ("Trâm", 1.0), ("Châu", 1.0), ("Diệp", 1.0), ("Uyên", 1.0),
    ("Hậu", 1.0), ("Xuân", 1.0), ("Hoài", 1.0), ("Diệu", 1.0), ("Khánh", 1.0), ("Lý", 1.0), ("Thơ", 1.0),
)

MALE_SHARE = 0.494  # Hà Nội's sex ratio, about 97 men per 100 women
YOUNGER_FROM = 1985  # middle names of people born from this year follow the *_YOUNGER tables

# Age on 1 January of the year, in five-year bands (Việt Nam's pyramid, Hà Nội's younger middle): 19 % under 15.
AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (0, 4, 6.6), (5, 9, 7.0), (10, 14, 5.4),
    (15, 19, 6.0), (20, 24, 6.4), (25, 29, 8.1), (30, 34, 9.0), (35, 39, 8.8), (40, 44, 8.0), (45, 49, 6.9),
    (50, 54, 6.2), (55, 59, 5.5), (60, 64, 4.9), (65, 69, 3.9), (70, 74, 2.7), (75, 79, 1.6), (80, 84, 1.1),
    (85, 89, 0.6), (90, 99, 0.3),
)
ADULT_AGE = 15  # "residents aged 15 and over": the denominator of Plan 52's rates

# Target group by age: (youngest age the row applies to, weights of learner, worker, staff, resident).
TARGET_GROUPS_BY_AGE: tuple[tuple[int, tuple[float, float, float, float]], ...] = (
    (0, (1.0, 0.0, 0.0, 0.0)),  # pupils
    (15, (0.93, 0.03, 0.0, 0.04)),
    (19, (0.55, 0.25, 0.10, 0.10)),
    (25, (0.02, 0.42, 0.28, 0.28)),
    (60, (0.0, 0.06, 0.04, 0.90)),
)
TARGET_GROUP_ORDER = ("learner", "worker", "staff", "resident")

HANOI_BIRTH_SHARE = 0.88  # identity numbers registered in Hà Nội (001); the rest come from the other 62 provinces

APPLYING_SHARE = 0.72  # of residents aged 15+, who open the year's application
REVOKED_SHARE = 0.02  # of certificates
# The state of a year's application. Recognised is set so that ~44 % of residents aged 15+ hold a live certificate:
# 0.72 × 0.6236 × (1 - 0.02) ≈ 0.44.
STATE_SHARES: tuple[tuple[str, float], ...] = (
    ("recognised", 0.6236), ("submitted", 0.11), ("approved", 0.05), ("returned", 0.05), ("rejected", 0.04),
    ("draft", 0.1264),
)
DECISION_SIZE = 5000  # applications per recognition decision at most (a decision per ward per batch)

PHONE_SHARE = 0.6
EMAIL_SHARE = 0.25

RETURN_COMMENTS = (
    "Bổ sung minh chứng cho hoạt động học tập",
    "Đề nghị bổ sung giấy chứng nhận hoàn thành khóa học",
    "Minh chứng chưa rõ thời gian tham gia, đề nghị bổ sung",
)
REJECT_COMMENTS = (
    "Chưa đạt tổng điểm theo tiêu chí",
    "Có chỉ số chưa đạt điểm tối thiểu",
)
REVOKE_REASONS = (
    "Công nhận nhầm do trùng hồ sơ",
    "Hồ sơ minh chứng không trung thực",
    "Người được công nhận đề nghị thu hồi để sửa thông tin",
)

# (title, kind, provider or None, indicator codes, fewest hours, most hours)
ACTIVITIES: tuple[tuple[str, str, str | None, tuple[str, ...], int, int], ...] = (
    ("Lớp tin học cơ bản", "course", "Trung tâm học tập cộng đồng", ("II.1",), 12, 60),
    ("Khóa học kỹ năng số cho người dân", "course", "Trung tâm học tập cộng đồng", ("II.1", "I.1"), 8, 40),
    ("Câu lạc bộ đọc sách", "club", "Thư viện phường", ("I.1", "III.2"), 6, 48),
    ("Tiếng Anh giao tiếp", "course", "Trung tâm ngoại ngữ", ("II.2",), 20, 120),
    ("Tự học qua sách báo và Internet", "self_study", None, ("I.1", "I.2"), 10, 100),
    ("Tập huấn an toàn lao động", "training", "Công ty", ("II.4", "III.2"), 4, 16),
    ("Sinh hoạt chi hội phụ nữ", "community", "Hội Liên hiệp Phụ nữ", ("I.3", "III.1"), 4, 24),
    ("Lớp bồi dưỡng nghiệp vụ", "training", "Cơ quan", ("II.3", "II.4"), 8, 40),
    ("Câu lạc bộ dưỡng sinh", "club", "Hội Người cao tuổi", ("I.3", "III.2"), 10, 80),
    ("Học trực tuyến trên nền tảng MOOC", "self_study", None, ("I.2", "II.1"), 10, 60),
    ("Tuyên truyền pháp luật ở khu dân cư", "community", "Ủy ban nhân dân", ("I.3", "I.4"), 2, 12),
    ("Lớp kỹ năng sống", "other", "Nhà văn hóa", ("III.1", "III.2"), 4, 20),
)

# The share of people whose tổ dân phố/thôn is known (the rest registered without giving it) [assumption].
HAMLET_KNOWN = 0.8
# Applications sent with an evidence file on their activity, and those sent with self-scores that fail the pass
# rule (submitting needs every indicator scored, not the rule met) [assumption].
EVIDENCE_SHARE = 0.6
FAILING_SELF_SHARE = 0.15

# The unit-level indicators' figures of a ward [assumption]: units counted per adult resident (at least so many),
# and the share meeting the indicator drawn around it: about 1 cadre per 60 adults, 1 school or centre per 2,000,
# 1 community learning centre per ward, 1 public school per 2,500, and the workers (6 in 10 adults).
UNIT_SIZES: dict[str, tuple[float, int, float]] = {
    "cadres_digital": (1 / 60, 20, 0.95), "cadres_data": (1 / 60, 20, 0.45),
    "schools_digital": (1 / 2000, 3, 0.8), "centres_it": (0.0, 1, 0.7), "schools_standard": (1 / 2500, 2, 0.8),
    "workers_trained": (0.6, 50, 0.72), "workers_certified": (0.6 * 0.72, 30, 0.55),
}
