"""Word lists for demo customers: Persian names with Latin spellings, cities, streets and company names."""

from __future__ import annotations


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """``"علی:ali رضا:reza"`` → ((Persian, Latin), ...); ``_`` stands for a ZWNJ inside a name."""
    return tuple((fa.replace("_", "\u200c"), latin) for fa, latin in (item.split(":") for item in text.split()))


MALE_FIRST_NAMES = _pairs(
    """علی:ali محمد:mohammad حسین:hossein حسن:hassan رضا:reza مهدی:mehdi امیر:amir محمدرضا:mohammadreza
    علیرضا:alireza محمدعلی:mohammadali حمید:hamid سعید:saeed مجید:majid مسعود:masoud احمد:ahmad محمود:mahmoud
    جواد:javad مصطفی:mostafa مرتضی:morteza مجتبی:mojtaba عباس:abbas ابراهیم:ebrahim اسماعیل:esmaeil یوسف:yousef
    داوود:davoud کریم:karim رحیم:rahim بهروز:behrouz بهرام:bahram فرهاد:farhad فرشید:farshid کامران:kamran
    کیوان:keyvan آرش:arash آرمان:arman بابک:babak پویا:pouya پیمان:peyman سامان:saman سینا:sina شهرام:shahram
    شاهین:shahin کاوه:kaveh کوروش:kourosh داریوش:dariush نیما:nima میلاد:milad امید:omid وحید:vahid هادی:hadi
    یاسر:yaser ایمان:iman احسان:ehsan محسن:mohsen مهران:mehran مهرداد:mehrdad منصور:mansour ناصر:naser
    هومن:houman حامد:hamed صادق:sadegh قاسم:ghasem جعفر:jafar اکبر:akbar اصغر:asghar ابوالفضل:abolfazl
    امیرحسین:amirhossein محمد_حسین:mohammadhossein امیرمحمد:amirmohammad سجاد:sajjad روح_الله:rouhollah
    نصرالله:nasrollah عبدالله:abdollah حبیب:habib رسول:rasoul سیاوش:siavash فریدون:fereydoun هوشنگ:houshang
    پرویز:parviz منوچهر:manouchehr جمشید:jamshid بیژن:bijan عرفان:erfan علی_اکبر:aliakbar مهدیار:mahdiyar
    طاها:taha یاسین:yasin ماهان:mahan پارسا:parsa رامین:ramin کیانوش:kianoush"""
)

FEMALE_FIRST_NAMES = _pairs(
    """فاطمه:fatemeh زهرا:zahra مریم:maryam معصومه:masoumeh زینب:zeynab سارا:sara نرگس:narges الهام:elham
    مهسا:mahsa نازنین:nazanin سمیه:somayeh لیلا:leila مینا:mina شیرین:shirin نسرین:nasrin پروین:parvin
    فرشته:fereshteh طاهره:tahereh اعظم:azam اشرف:ashraf منیژه:manijeh ژاله:zhaleh سیمین:simin شهلا:shahla
    مهناز:mahnaz فریبا:fariba فرزانه:farzaneh آزاده:azadeh آزیتا:azita نگین:negin نیلوفر:niloufar پریسا:parisa
    پرستو:parastoo ستاره:setareh شیما:shima صبا:saba سحر:sahar مهتاب:mahtab هانیه:hanieh حدیث:hadis
    کوثر:kowsar محدثه:mohaddeseh ریحانه:reyhaneh یگانه:yeganeh عاطفه:atefeh راضیه:razieh مرضیه:marzieh
    منصوره:mansoureh فرحناز:farahnaz گلناز:golnaz گلاره:golareh رویا:roya ندا:neda هدی:hoda هستی:hasti
    آیدا:aida آناهیتا:anahita بهاره:bahareh ترانه:taraneh تینا:tina دریا:darya روشنک:roshanak سپیده:sepideh
    سمانه:samaneh شقایق:shaghayegh شبنم:shabnam طناز:tannaz فاطمه_زهرا:fatemehzahra کیمیا:kimia لادن:ladan
    ملیکا:melika مهدیه:mahdieh مونا:mona نسترن:nastaran نیوشا:niousha یاسمن:yasaman یلدا:yalda الناز:elnaz
    افسانه:afsaneh پگاه:pegah زیبا:ziba اکرم:akram بتول:batoul خدیجه:khadijeh رقیه:roghayeh صدیقه:sedigheh
    عفت:efat فروغ:forough مهین:mahin ویدا:vida"""
)

LAST_NAMES = _pairs(
    """محمدی:mohammadi حسینی:hosseini احمدی:ahmadi رضایی:rezaei موسوی:mousavi کریمی:karimi جعفری:jafari
    رحیمی:rahimi صادقی:sadeghi حیدری:heydari قاسمی:ghasemi کاظمی:kazemi عباسی:abbasi نوری:nouri مرادی:moradi
    اکبری:akbari ابراهیمی:ebrahimi سلیمانی:soleimani هاشمی:hashemi شریفی:sharifi نجفی:najafi فتحی:fathi
    رستمی:rostami کرمی:karami یوسفی:yousefi زارعی:zarei قربانی:ghorbani سلطانی:soltani محمودی:mahmoudi
    میرزایی:mirzaei امیری:amiri نظری:nazari بهرامی:bahrami طاهری:taheri صالحی:salehi عزیزی:azizi اسدی:asadi
    خسروی:khosravi باقری:bagheri توکلی:tavakoli جلالی:jalali حسنی:hasani خانی:khani دهقان:dehghan
    رحمانی:rahmani سبحانی:sobhani شجاعی:shojaei صفری:safari طالبی:talebi عسگری:asgari غفاری:ghaffari
    فرهادی:farhadi قنبری:ghanbari کامرانی:kamrani گودرزی:goudarzi لطفی:lotfi مختاری:mokhtari نادری:naderi
    وکیلی:vakili یزدانی:yazdani آقایی:aghaei اصفهانی:esfahani تهرانی:tehrani شیرازی:shirazi تبریزی:tabrizi
    کرمانی:kermani یزدی:yazdi قزوینی:ghazvini رشتی:rashti کاشانی:kashani بروجردی:boroujerdi خراسانی:khorasani
    اردبیلی:ardabili زنجانی:zanjani همدانی:hamedani سمنانی:semnani مشهدی:mashhadi نیک_نام:niknam نیکپور:nikpour
    پورمحمدی:pourmohammadi علیپور:alipour حسین_زاده:hosseinzadeh علیزاده:alizadeh رضازاده:rezazadeh
    تقی_زاده:taghizadeh قلی_زاده:gholizadeh ملکی:maleki فرجی:faraji بیگی:beigi شاکری:shakeri پاکزاد:pakzad
    دلاوری:delavari فراهانی:farahani منصوری:mansouri ناصری:naseri مهدوی:mahdavi طباطبایی:tabatabaei
    میرحسینی:mirhosseini سیدی:seyedi بنی_اسدی:baniasadi انصاری:ansari بختیاری:bakhtiari زمانی:zamani
    کیانی:kiani جهانگیری:jahangiri کشاورز:keshavarz آهنگر:ahangar نجار:najjar خیاط:khayyat صباغ:sabbagh
    زرگر:zargar عطار:attar ملک_زاده:malekzadeh شهابی:shahabi فاضلی:fazeli عظیمی:azimi کاظم_پور:kazempour
    معصومی:masoumi مقدم:moghaddam نوروزی:nowrouzi اسماعیلی:esmaeili اسلامی:eslami افشار:afshar امینی:amini
    ایزدی:izadi بابایی:babaei بهمنی:bahmani ترابی:torabi ثابتی:sabeti جمالی:jamali چراغی:cheraghi
    حاتمی:hatami حکیمی:hakimi خلیلی:khalili داوودی:davoudi ذوالفقاری:zolfaghari رنجبر:ranjbar زندی:zandi
    ساعدی:saedi سعیدی:saeedi شاهرخی:shahrokhi صمدی:samadi ضیایی:ziaei طاهرخانی:taherkhani عرب:arab علوی:alavi
    قاسم_پور:ghasempour کریم_خانی:karimkhani گلستانی:golestani محبی:mohebbi مومنی:momeni نصیری:nasiri
    هدایتی:hedayati وحیدی:vahidi کیخسروی:keykhosravi پورعلی:pourali اکبرزاده:akbarzadeh"""
)

# (city, province, landline area code, relative weight ~ population)
CITIES: tuple[tuple[str, str, str, int], ...] = (
    ("تهران", "تهران", "21", 90),
    ("ورامین", "تهران", "21", 5),
    ("شهریار", "تهران", "21", 6),
    ("کرج", "البرز", "26", 20),
    ("اصفهان", "اصفهان", "31", 22),
    ("کاشان", "اصفهان", "31", 4),
    ("مشهد", "خراسان رضوی", "51", 32),
    ("نیشابور", "خراسان رضوی", "51", 3),
    ("سبزوار", "خراسان رضوی", "51", 3),
    ("تبریز", "آذربایجان شرقی", "41", 16),
    ("ارومیه", "آذربایجان غربی", "44", 8),
    ("شیراز", "فارس", "71", 17),
    ("اهواز", "خوزستان", "61", 12),
    ("آبادان", "خوزستان", "61", 3),
    ("دزفول", "خوزستان", "61", 3),
    ("قم", "قم", "25", 12),
    ("کرمانشاه", "کرمانشاه", "83", 9),
    ("رشت", "گیلان", "13", 7),
    ("ساری", "مازندران", "11", 3),
    ("بابل", "مازندران", "11", 3),
    ("قائم\u200cشهر", "مازندران", "11", 2),
    ("گرگان", "گلستان", "17", 4),
    ("یزد", "یزد", "35", 5),
    ("کرمان", "کرمان", "34", 5),
    ("همدان", "همدان", "81", 5),
    ("اردبیل", "اردبیل", "45", 5),
    ("زنجان", "زنجان", "24", 4),
    ("قزوین", "قزوین", "28", 4),
    ("سنندج", "کردستان", "87", 4),
    ("خرم\u200cآباد", "لرستان", "66", 4),
    ("اراک", "مرکزی", "86", 5),
    ("بندرعباس", "هرمزگان", "76", 5),
    ("کیش", "هرمزگان", "76", 1),
    ("بوشهر", "بوشهر", "77", 2),
    ("زاهدان", "سیستان و بلوچستان", "54", 6),
    ("بیرجند", "خراسان جنوبی", "56", 2),
    ("بجنورد", "خراسان شمالی", "58", 2),
    ("سمنان", "سمنان", "23", 2),
    ("ایلام", "ایلام", "84", 1),
    ("یاسوج", "کهگیلویه و بویراحمد", "74", 1),
    ("شهرکرد", "چهارمحال و بختیاری", "38", 2),
)

STREETS = (
    "آزادی",
    "انقلاب",
    "ولیعصر",
    "امام خمینی",
    "شریعتی",
    "فردوسی",
    "حافظ",
    "سعدی",
    "بهار",
    "نیایش",
    "مطهری",
    "طالقانی",
    "جمهوری",
    "کارگر",
    "بهشتی",
    "مدرس",
    "پاسداران",
    "شهید چمران",
    "گلستان",
    "لاله",
)

COMPANY_PREFIXES = ("شرکت", "گروه صنعتی", "شرکت تعاونی", "موسسه", "هلدینگ")
COMPANY_CORES = ("پارس", "آریا", "البرز", "سپاهان", "خلیج فارس", "کیمیا", "نوین", "پیشگامان", "آینده\u200cسازان", "مهر", "زاگرس", "دماوند")
COMPANY_SUFFIXES = ("بازرگانی", "تولیدی", "فناوری اطلاعات", "ساختمانی", "حمل و نقل", "پخش", "صنایع غذایی", "مهندسی")

# Mobile prefixes (after the 0) with a weight roughly like market share: MCI, Irancell, Rightel.
MOBILE_PREFIXES: tuple[tuple[str, int], ...] = (
    *((f"91{d}", 6) for d in range(10)),
    *((f"99{d}", 3) for d in range(5)),
    ("930", 4),
    ("933", 4),
    *((f"93{d}", 5) for d in range(5, 10)),
    *((f"90{d}", 4) for d in range(1, 6)),
    ("920", 1),
    ("921", 2),
    ("922", 1),
)

TAGS = ("vip", "کارمند دولت", "بازنشسته", "فرهنگی", "پزشک")
