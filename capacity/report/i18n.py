"""The tool's phrases in Chinese and English, and numbers written for each (pure).

One catalogue, :data:`PHRASES` (``{key: {"zh": ..., "en": ...}}``), holds
every phrase the report, the schedule workbook, the charts and the
interactive map show, so a translation is an edit of this file and nothing
else. :func:`tr` looks a phrase up (``str.format`` fields filled from
keyword arguments); a key missing from the catalogue is a programming error
and raises ``KeyError``.

Numbers follow the reader's habit:

* ``zh`` — from 10 000 up, in 万 (10⁴) or 亿 (10⁸) with three significant
  digits, followed by the exact figure in brackets: ``45.6亿 (4,560,000,000)``;
  shares as ``12.5%``.
* ``en`` — the exact figure with thousands separators: ``4,560,000,000``.

Names of levels, actions and provenance labels have their own tables
(:data:`LEVEL_NAMES`, :data:`ACTION_NAMES`, :data:`PROVENANCE_NAMES`) and
column headers one more (:data:`COLUMN_NAMES`).
"""

from __future__ import annotations

import math

LANGUAGES = ("zh", "en")
"""Languages of the outputs (``[outputs] language``)."""

HTML_LANG = {"zh": "zh-Hans", "en": "en"}

LEVEL_NAMES = {
    "kindergarten": {"zh": "幼儿园", "en": "kindergarten"},
    "primary": {"zh": "小学", "en": "primary"},
    "middle": {"zh": "初中", "en": "junior middle"},
    "high": {"zh": "普通高中", "en": "general high"},
    "special": {"zh": "特殊教育", "en": "special education"},
}

ACTION_NAMES = {
    "new": {"zh": "新建", "en": "new"},
    "expand": {"zh": "扩建", "en": "expanded"},
    "close": {"zh": "撤并", "en": "closed"},
    "merge": {"zh": "合并", "en": "merged"},
    "convert": {"zh": "转为他用", "en": "converted"},
    "existing": {"zh": "现有", "en": "existing"},
}

STATUS_NAMES = {
    "optimal": {"zh": "最优(在间隙内)", "en": "optimal"},
    "feasible": {"zh": "可行(未证明最优)", "en": "feasible"},
    "infeasible": {"zh": "不可行", "en": "infeasible"},
    "unbounded": {"zh": "无界", "en": "unbounded"},
    "no_solution": {"zh": "无解", "en": "no_solution"},
}

SECTION_NAMES = {
    "plan": {"zh": "规划", "en": "plan"},
    "demand": {"zh": "学位需求", "en": "demand"},
    "projection": {"zh": "人口预测", "en": "projection"},
    "objective": {"zh": "目标函数", "en": "objective"},
    "solver": {"zh": "求解器", "en": "solver"},
    "standards": {"zh": "办学标准", "en": "standards"},
    "outputs": {"zh": "输出", "en": "outputs"},
}

PROVENANCE_NAMES = {
    "real": {"zh": "真实(公开来源)", "en": "real"},
    "estimated": {"zh": "估算", "en": "estimated"},
    "synthetic": {"zh": "合成", "en": "synthetic"},
    "assumption": {"zh": "假设", "en": "assumption"},
    "uncertain": {"zh": "不确定", "en": "uncertain"},
}

COLUMN_NAMES = {
    "year": {"zh": "年份", "en": "Year"},
    "zone_id": {"zh": "区划代码", "en": "Zone ID"},
    "name_local": {"zh": "区县", "en": "Zone (local name)"},
    "name_en": {"zh": "区县(英文)", "en": "Zone"},
    "level": {"zh": "学段", "en": "Level"},
    "new": {"zh": "新建", "en": "New schools"},
    "expand": {"zh": "扩建", "en": "Expanded schools"},
    "schools": {"zh": "学校数", "en": "Schools"},
    "seats": {"zh": "学位", "en": "Seats"},
    "cost_cny": {"zh": "投资(元)", "en": "Cost (CNY)"},
    "ready_year": {"zh": "投用年份", "en": "Seats ready"},
    "close": {"zh": "撤并", "en": "Closed schools"},
    "convert": {"zh": "转为他用", "en": "Converted schools"},
    "chosen_site_id": {"zh": "选定地块", "en": "Chosen site"},
    "alt_rank": {"zh": "备选序号", "en": "Rank"},
    "alt_site_id": {"zh": "备选地块", "en": "Alternative site"},
    "distance_m": {"zh": "距离(米)", "en": "Distance (m)"},
    "delta_cost_cny": {"zh": "投资差(元)", "en": "Δ cost (CNY)"},
    "delta_pupil_km": {"zh": "学生·公里差", "en": "Δ pupil-km"},
    "pupils_beyond_reach": {"zh": "超出服务半径学生", "en": "Pupils beyond reach"},
    "score": {"zh": "替换代价", "en": "Score"},
    "table": {"zh": "数据表", "en": "Table"},
    "real": {"zh": "真实", "en": "real"},
    "estimated": {"zh": "估算", "en": "estimated"},
    "synthetic": {"zh": "合成", "en": "synthetic"},
    "assumption": {"zh": "假设", "en": "assumption"},
    "uncertain": {"zh": "不确定", "en": "uncertain"},
    "other": {"zh": "其他", "en": "other"},
    "key": {"zh": "参数", "en": "key"},
    "value": {"zh": "取值", "en": "value"},
}

PHRASES = {
    # page
    "title": {"zh": "{city} — {scenario}:学位规划", "en": "{city} — {scenario}: school-place plan"},
    "status_line": {"zh": "求解状态 {status},相对间隙 {gap}。", "en": "Solver status {status}, gap {gap}."},
    "gap_constant": {"zh": "间隙相对于系统总现值(含保留的现有学校的运行成本);绝对间隙 {absolute}(目标单位),"
                           "占其余部分的 {rest}。",
                     "en": " The gap is a share of the whole present cost (running costs of the existing schools "
                           "included); absolute gap {absolute} objective units, {rest} of the rest."},
    "print_hint": {"zh": "打印或另存为 PDF:浏览器“打印”即可,交互地图以当前视图打印。",
                   "en": "To print or save as PDF use the browser's Print; the map prints as currently shown."},
    # sections
    "sec_targets": {"zh": "对照规划目标", "en": "Against the plan's targets"},
    "sec_headline": {"zh": "主要指标", "en": "Headline figures"},
    "sec_webmap": {"zh": "交互地图", "en": "Interactive map"},
    "sec_maps": {"zh": "地图:规划前后的学位余缺", "en": "Maps: seat balance before and after the plan"},
    "sec_schedule": {"zh": "建设时序", "en": "Phasing schedule"},
    "sec_shortlist": {"zh": "备选地块", "en": "Site shortlist"},
    "sec_projection": {"zh": "人口预测", "en": "Population projection"},
    "sec_solver": {"zh": "求解器", "en": "Solver"},
    "sec_assumptions": {"zh": "情景假设", "en": "Assumptions of the scenario"},
    "sec_provenance": {"zh": "数据来源", "en": "Where the data come from"},
    "sec_files": {"zh": "本次运行的文件", "en": "Files of this run"},
    # targets
    "targets_intro": {"zh": "规划目标年(第一个评估年)的检查结果。规划文件的全部目标均列出(数据目录的 "
                            "plan_targets.csv),并注明模型是规划它、检查它,还是不在模型范围内。",
                      "en": "Checked for the plan's target year (the first evaluation year). Every target "
                            "of the plan (the data folder's plan_targets.csv) is listed with whether the model "
                            "plans it, checks it, or leaves it out of scope."},
    "col_id": {"zh": "编号", "en": "#"},
    "col_target": {"zh": "目标", "en": "target"},
    "col_role": {"zh": "模型如何处理", "en": "in the model"},
    "col_value": {"zh": "数值", "en": "value"},
    "col_status": {"zh": "状态", "en": "status"},
    "col_how": {"zh": "检查方法", "en": "how it was checked"},
    "role_planned": {"zh": "规划约束", "en": "planned"},
    "role_checked": {"zh": "检查", "en": "checked"},
    "role_out_of_scope": {"zh": "不在模型范围", "en": "out of scope"},
    "status_met": {"zh": "达成", "en": "met"},
    "status_not_met": {"zh": "未达成", "en": "not met"},
    "status_na": {"zh": "无法评估", "en": "not assessable"},
    "status_assumed": {"zh": "假设,未评估", "en": "assumed, not assessed"},
    "status_out": {"zh": "—", "en": "—"},
    "status_input": {"zh": "已纳入规划输入", "en": "an input of the plan"},
    # headline
    "headline_cost": {"zh": "建设投资合计 <b>{cost}</b>;分年:{by_year}。",
                      "en": "Total construction cost <b>{cost}</b>; by year: {by_year}."},
    "headline_year_cost": {"zh": "{year} 年 {cost}(预算 {budget})", "en": "{year}: {cost} (budget {budget})"},
    "h_level": {"zh": "学段", "en": "level"},
    "h_new": {"zh": "新建", "en": "new"},
    "h_expanded": {"zh": "扩建", "en": "expanded"},
    "h_seats": {"zh": "新增学位", "en": "seats added"},
    "h_plan_total": {"zh": "规划总数", "en": "plan total"},
    "h_unserved": {"zh": "{year} 年未安置学生", "en": "unserved pupils {year}"},
    "h_walk": {"zh": "{year} 年步行标准内比例", "en": "within walk standard {year}"},
    "cny": {"zh": "元", "en": "CNY"},
    # map section (static)
    "maps_intro": {"zh": "每个学段一张图({levels})。", "en": "One map per level ({levels})."},
    "map_alt": {"zh": "{level}地图", "en": "map of {level}"},
    "map_caption": {"zh": "{level}:规划前后各区县学位余缺;按开办年份的地块;插图:飞地",
                    "en": "{level}: seat balance by zone, before and after the plan; sites by opening year; "
                          "inset: exclave zones"},
    "gantt_alt": {"zh": "建设时序图", "en": "phasing chart"},
    "gantt_caption": {"zh": "按开办年份、分区县的学校", "en": "Sites by opening year, grouped by zone"},
    "gantt_title": {"zh": "{scenario} — 建设时序:按开办年份和区县的学校",
                    "en": "{scenario} — phasing: schools by opening year and zone"},
    "gantt_xlabel": {"zh": "建设年份(条形:建设年至学位投用年);标注:学校数 · 学位",
                     "en": "build year (bar: build year to the year the seats are ready); "
                           "label: schools · seats [pupils]"},
    "gantt_empty": {"zh": "规划中没有学校", "en": "no schools in the plan"},
    "map_title": {"zh": "{scenario} — {level}:各区县学位余缺,{years}",
                  "en": "{scenario} — {level}: seat balance by zone, {years}"},
    "map_before": {"zh": "规划前(现有学位)", "en": "before the plan (existing seats)"},
    "map_after": {"zh": "规划后", "en": "after the plan"},
    "map_inset": {"zh": "插图:{names}", "en": "inset: {names}"},
    "map_colourbar": {"zh": "学位余缺 = 学位 − 需学位学生数 [人](红:缺口,蓝:富余)",
                      "en": "seat balance = seats − pupils needing a seat [pupils] (red: deficit, blue: surplus)"},
    "map_existing": {"zh": "现有学校", "en": "existing school"},
    "map_new_opens": {"zh": "新建,{year} 年开办", "en": "new, opens {year}"},
    "map_expansion": {"zh": "扩建(颜色:年份)", "en": "expansion (colour: year)"},
    "h_year": {"zh": "年份", "en": "Year"},
    "h_sys_seats": {"zh": "学位", "en": "Seats"},
    "h_sys_pupils": {"zh": "需学位学生", "en": "Pupils"},
    "h_sys_surplus": {"zh": "富余学位", "en": "Surplus"},
    "h_sys_new": {"zh": "新建", "en": "New"},
    "h_sys_expanded": {"zh": "扩建", "en": "Expanded"},
    "h_sys_closed": {"zh": "撤并", "en": "Closed"},
    "h_sys_converted": {"zh": "转为他用", "en": "Converted"},
    "h_system_intro": {"zh": "各学段逐年:学位、需学位学生、富余学位(负数为缺口),以及自上一检查年以来新建、扩建、撤并和转为他用的学校数。",
                       "en": "Per level and year: seats, pupils needing a seat, surplus (negative: a shortfall), and the "
                             "schools new, expanded, closed and converted since the previous year checked."},
    # unserved pupils by cause (capacity.optimize.unserved, capacity.report.unserved)
    "h_unserved_intro": {
        "zh": "未安置学生按原因分列:<b>建设周期</b>——该年尚无新学位能够投用(最早{first});<b>服务半径</b>——"
              "服务半径内既无学校也无备选地块;<b>学位不足</b>——其余(本可建设新学位但规划未建或未建足:"
              "预算、总量、用地、成本与未安置惩罚的权衡)。",
        "en": "Unserved pupils by cause: <b>before any new school can open</b> — no new seat can count yet that "
              "year (the first: {first}); <b>out of reach</b> — no school and no site within the service "
              "distance; <b>capacity</b> — the rest (new seats could have counted, the plan did not build "
              "(enough of) them: budgets, plan totals, land, cost weighed against the unserved penalty)."},
    "h_unserved_first": {"zh": "{level} {year} 年", "en": "{level} {year}"},
    "h_unserved_none": {"zh": "无", "en": "none"},
    "h_cause_total": {"zh": "未安置合计", "en": "Unserved"},
    "h_cause_lag": {"zh": "建设周期", "en": "Before a new school can open"},
    "h_cause_reach": {"zh": "服务半径外", "en": "Out of reach"},
    "h_cause_capacity": {"zh": "学位不足", "en": "Capacity"},
    "map_closure": {"zh": "撤并或转为他用(红叉)", "en": "closed or converted (red cross)"},
    "and": {"zh": " 和 ", "en": " and "},
    # interactive map
    "webmap_intro": {"zh": "缩放、平移,点击地块查看详情;右上角切换图层。区县颜色为所选学段和年份的学位余缺"
                           "(红:缺口,蓝:富余)。无底图,离线可用。",
                     "en": "Zoom, pan and click a site for its details; toggle layers at the top right. Zones "
                           "are shaded by the seat balance of the chosen level and year (red: deficit, blue: "
                           "surplus). No background tiles: it works offline."},
    "wm_level": {"zh": "学段", "en": "Level"},
    "wm_year": {"zh": "年份", "en": "Year"},
    "wm_zones": {"zh": "区县学位余缺", "en": "Zones: seat balance"},
    "wm_existing": {"zh": "现有学校", "en": "Existing schools"},
    "wm_plan": {"zh": "规划地块(新建/扩建/撤并/改变学段)", "en": "Plan sites (new/expanded/closed/converted)"},
    "wm_units": {"zh": "需求单元", "en": "Demand units"},
    "wm_shortlist": {"zh": "备选地块", "en": "Shortlist alternatives"},
    "wm_tiles": {"zh": "底图", "en": "Background tiles"},
    "wm_name": {"zh": "名称", "en": "name"},
    "wm_action": {"zh": "措施", "en": "action"},
    "wm_classes": {"zh": "班数", "en": "classes"},
    "wm_seats": {"zh": "学位", "en": "seats"},
    "wm_open_year": {"zh": "开办年份", "en": "opens"},
    "wm_ready_year": {"zh": "投用年份", "en": "seats ready"},
    "wm_cost": {"zh": "投资", "en": "cost"},
    "wm_zone": {"zh": "区县", "en": "zone"},
    "wm_pupils": {"zh": "服务学生", "en": "pupils served"},
    "wm_alternatives": {"zh": "最近的备选地块", "en": "nearest alternatives"},
    "wm_none": {"zh": "无", "en": "none"},
    "wm_balance": {"zh": "学位余缺", "en": "seat balance"},
    "wm_demand": {"zh": "需学位学生", "en": "pupils needing a seat"},
    "wm_population": {"zh": "人口", "en": "population"},
    "wm_alt_of": {"zh": "备选:替代 {site}", "en": "alternative to {site}"},
    "wm_rank": {"zh": "序号", "en": "rank"},
    "wm_distance": {"zh": "距离", "en": "distance"},
    "wm_score": {"zh": "替换代价", "en": "swap score"},
    "wm_legend_deficit": {"zh": "缺口", "en": "deficit"},
    "wm_legend_surplus": {"zh": "富余", "en": "surplus"},
    # schedule, shortlist, projection
    "xlsx_summary": {"zh": "分学段、分建设年份的学校数、学位 [人] 和投资 [元]",
                     "en": "schools, seats [pupils] and cost [CNY] per level and build year"},
    "xlsx_level": {"zh": "{level}:分建设年份和区县的学校数、学位 [人] 和投资 [元]",
                   "en": "{level}: schools, seats [pupils] and cost [CNY] per build year and zone"},
    "sched_totals": {"zh": "分学段、分年合计", "en": "Totals per level and year"},
    "sched_rows": {"zh": "分年、分区县、分学段", "en": "Per year, zone and level"},
    "sched_also": {"zh": "另见 schedule.csv 和 schedule.xlsx。", "en": "Also in schedule.csv and schedule.xlsx."},
    "shortlist_intro": {
        "zh": "对每个选定的新建地块,列出最多三个同学段、在该学段城区最大服务距离内、可容纳同规模且在开办年份前可用的"
              "未使用候选地块,按替换的目标函数代价排序:cost_weight × Δ投资 [10⁶ 元] + distance_weight × "
              "Δ学生·公里(按分配到选定地块的学生计)。",
        "en": "For each chosen new site, up to three unused candidate sites of the same level within the "
              "level's urban maximum distance that hold the same module and are available by the opening "
              "year, ranked by the objective cost of the swap: cost_weight × Δcost [10⁶ CNY] + "
              "distance_weight × Δpupil-km for the pupils assigned to the chosen site."},
    "no_projection": {"zh": "本运行目录中没有人口预测图。", "en": "No projection chart in this run folder."},
    # projection back-test (capacity.report.backtest)
    "bt_heading": {"zh": "预测的准确性", "en": "How good is the projection?"},
    "bt_intro": {"zh": "回测:对 {origins} 年每个起点,只用该年及以前的数据(不用任何更晚的数字),以本情景的方法重新预测,"
                       "再与之后公布的每个数字比较(区县和全市年末常住人口、全市出生人口)。这些起点都在本次预测的基年 "
                       "{year} 之前,所以这些误差就是规划者事先可以知道的预测误差。",
                 "en": "A back-test: for each origin year {origins}, the projection was made again from the data "
                       "up to that year only (no later figure), with this scenario's method, and compared with "
                       "every figure reported later (year-end residents of the counties and the city, city "
                       "births). The origins are before this projection's base year {year}, so these are the "
                       "errors a planner could have known in advance."},
    "bt_how_to_read": {"zh": "平均绝对误差:预测与公布数字之差的平均大小;平均误差:正数表示预测偏高,负数表示偏低;"
                             "区间覆盖率:公布数字落在 80% 预测区间(随机模拟的 10%–90% 分位数)内的比例,约 80% "
                             "为合适,明显更低说明区间偏窄;区间平均半宽:区间半宽占预测值的比例。某起点之前没有人口"
                             "数字的区县不参与该起点的比较(列于该起点第一行),全市数字假设它们与其余区县同样增长。",
                       "en": "Mean absolute error: the typical size of the gap between projected and reported; "
                             "mean error: positive when the projection was too high, negative when too low; band "
                             "coverage: the share of reported figures inside the 80 % band (the 10–90 % "
                             "quantiles of the stochastic draws) — about 80 % is right, much less means the band "
                             "is too narrow; mean band width: the band's half-width as a share of the projection. "
                             "Counties without a population figure up to an origin are left out of its "
                             "comparison (listed on its first row); city figures assume they grew like the "
                             "others."},
    "bt_col_origin": {"zh": "起点年份", "en": "origin"},
    "bt_col_measure": {"zh": "指标", "en": "measure"},
    "bt_col_n": {"zh": "比较数字个数", "en": "figures compared"},
    "bt_col_mae": {"zh": "平均绝对误差", "en": "mean absolute error"},
    "bt_col_mean_error": {"zh": "平均误差", "en": "mean error"},
    "bt_col_coverage": {"zh": "80% 区间覆盖率", "en": "inside the 80 % band"},
    "bt_col_mean_band_width": {"zh": "区间平均半宽", "en": "mean band width"},
    "bt_col_left_out": {"zh": "未参与比较的区县", "en": "counties left out"},
    "bt_measure_population": {"zh": "区县常住人口", "en": "county population"},
    "bt_measure_city_population": {"zh": "全市常住人口", "en": "city population"},
    "bt_measure_births": {"zh": "全市出生人口", "en": "city births"},
    "bt_none_left_out": {"zh": "无", "en": "none"},
    "bt_no_history": {"zh": "无法回测:数据中没有基年 {year} 之前的人口数字。",
                      "en": "Not back-tested: the data hold no population figure before the base year {year}."},
    "bt_not_computed": {"zh": "本次运行未做回测(运行时报告尚不包含回测);用 capacity run 重新运行即可得到。",
                        "en": "Not back-tested for this run (made before the report held the back-test); "
                              "capacity run makes it."},
    "bt_failed": {"zh": "无法回测:{reason}", "en": "Not back-tested: {reason}"},
    # solver
    "sv_status": {"zh": "状态", "en": "status"},
    "sv_solver": {"zh": "求解器", "en": "solver"},
    "sv_objective": {"zh": "目标函数值", "en": "objective"},
    "sv_bound": {"zh": "最优界", "en": "best bound"},
    "sv_gap": {"zh": "相对间隙", "en": "relative gap"},
    "sv_build": {"zh": "建模 [秒]", "en": "model build [s]"},
    "sv_solve": {"zh": "求解 [秒]", "en": "solve [s]"},
    "sv_variables": {"zh": "变量数", "en": "variables"},
    "sv_constraints": {"zh": "约束数", "en": "constraints"},
    "sv_part": {"zh": "目标分项:{part}", "en": "objective part: {part}"},
    "sv_warn": {"zh": "求解器以状态 <b>{status}</b> 停止:该方案是找到的最好方案,未在间隙内证明最优。",
                "en": "The solver stopped with status <b>{status}</b>: the plan is the best found, not "
                      "proven optimal within the gap."},
    # notes of the target checks ("how it was checked"): parts made by capacity.demand.targets
    # (its NOTES_EN holds the same English), joined without separator by target_note
    "tn_no_total": {"zh": "情景未设定该学段的总数", "en": "the scenario sets no total for this level"},
    "tn_total": {"zh": "规划 {n} 所(新建 {new} 所,扩建 {expanded} 所)",
                 "en": "{n} planned ({new} new, {expanded} expanded)"},
    "tn_ratio": {"zh": "{year} 年,规划后学位 ÷ {basis};检查范围:{scope}。",
                 "en": "{year}, seats after the plan ÷ {basis}; checked for {scope}."},
    "tn_basis_projection": {"zh": "相应年龄段儿童数(人口预测)", "en": "children of the age band (projection)"},
    "tn_basis_pupils": {"zh": "需要学位的学生数(缺少 school_age.csv:运行目录中没有人口预测表)",
                        "en": "pupils needing a seat (school_age.csv missing: projection tables not in the "
                              "run folder)"},
    "tn_scope_zones": {"zh": "每个区县及全市", "en": "every zone and the city"},
    "tn_scope_city": {"zh": "全市", "en": "the city"},
    "tn_below": {"zh": "未达标:{zones}。", "en": " Below target: {zones}."},
    "tn_every_zone": {"zh": "各区县均达标。", "en": " Every zone meets it."},
    "tn_places": {"zh": "学位 = 普通高中学位 ÷ general_share {divide:.3f}(假设:职业教育学位保持现有比例)。",
                  "en": " Places = general seats ÷ general_share {divide:.3f} "
                        "(assumption: vocational places in today's proportion)."},
    "tn_t6_flag": {"zh": "{year} 年:现有学位按学校图层的“{flag}”字段认定;新建幼儿园均为公办",
                   "en": "{year}: existing seats flagged '{flag}' in the schools layer; new kindergartens "
                         "are public"},
    "tn_t6_assumed": {"zh": "{year} 年:假设(数据中没有公办/普惠标识):现有幼儿园学位的 {share:.0%} 为公办或普惠"
                            "(demand.public_share);新建幼儿园均为公办",
                      "en": "{year}: assumption (no public/inclusive flag in the data): {share:.0%} of existing "
                            "kindergarten seats are public or inclusive (demand.public_share); "
                            "every new kindergarten is public"},
    "tn_t9": {"zh": "人口超过 {limit:,.0f} 的 {zones} 个区县中,{have} 个有特殊教育学校",
              "en": "{have} of {zones} zones over {limit:,.0f} people have a special-education school"},
    "tn_lacking": {"zh": ";缺少:{zones}", "en": "; lacking: {zones}"},
    "tn_t9_new": {"zh": ";其中 {new} 所为本规划新建", "en": "; {new} of them new in the plan"},
    "tn_t14": {"zh": "无法依据数据评估:学校图层没有学校等级",
               "en": "not assessable from the data: the schools layer has no school grades"},
    "tn_t14_proxy": {"zh": "{year} 年,现有或规划:{counties} 个县区中 {have} 个有普通高中",
                     "en": "{year}, existing or planned: {have} of {counties} counties"},
    "tn_t15_none": {"zh": "情景中没有针对飞地的区县规则", "en": "no zone rules for exclave zones in the scenario"},
    "tn_t15_rule": {"zh": "{sep}{zone}:{what}{level} {n} 所(最少 {min}{max})",
                    "en": "{sep}{zone}: {n} {what} {level} (min {min}{max})"},
    "tn_t15_max": {"zh": ",最多 {max}", "en": ", max {max}"},
    "tn_sep": {"zh": ";", "en": "; "},
    "tn_what_new": {"zh": "新建", "en": "new"},
    "tn_what_expand": {"zh": "扩建", "en": "expanded"},
    "tn_what_any": {"zh": "新建或扩建", "en": "new or expanded"},
    # assumptions, provenance, files
    "scenario_file": {"zh": "情景文件 {path};数据目录 {data}{extends}。",
                      "en": "Scenario file {path}; data folder {data}{extends}."},
    "extends": {"zh": ";继承 {chain}", "en": "; extends {chain}"},
    "prov_intro": {"zh": "数据目录中的每个数字都标注为<i>真实</i>(公开来源所载)、<i>估算</i>(按明示规则由真实数字推得)、"
                         "<i>合成</i>(由带种子的生成器生成)、<i>假设</i>或<i>不确定</i>;详见数据目录的 SOURCES.md。",
                   "en": "Every figure in the data folder is <i>real</i> (stated in a published source), "
                         "<i>estimated</i> (derived from real figures by a stated rule), <i>synthetic</i> "
                         "(made by a seeded generator), an <i>assumption</i>, or <i>uncertain</i>; see the "
                         "data folder's SOURCES.md."},
    "prov_synthetic": {"zh": "<b>合成图层:</b>{layers} 由带种子的生成器生成,并非实测:其地块和距离仅用于说明方法,"
                             "决策前必须替换为真实地块和学校位置。",
                       "en": "<b>Synthetic layers:</b> {layers} were made by seeded generators, not surveyed: "
                             "sites and distances illustrate the method and must be replaced by real parcels "
                             "and school locations before decisions."},
    "font_note": {"zh": "页面和地图使用 Capacity Sans CJK SC(Noto Sans CJK SC 的子集,SIL 开放字体许可 1.1);"
                        "交互地图使用 Leaflet(BSD-2-Clause 许可)。",
                  "en": "Page and maps use Capacity Sans CJK SC, a subset of Noto Sans CJK SC (SIL Open Font "
                        "License 1.1); the interactive map uses Leaflet (BSD 2-Clause licence)."},
}


def check_language(lang: str) -> str:
    """Return ``lang`` if it is one of :data:`LANGUAGES`, else raise ``ValueError`` naming them."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of {list(LANGUAGES)}")
    return lang


def tr(key: str, lang: str, **fields) -> str:
    """The phrase ``key`` in ``lang`` with ``fields`` filled in (``str.format``)."""
    text = PHRASES[key][check_language(lang)]
    return text.format(**fields) if fields else text


def target_note(parts, lang: str) -> str:
    """A target check's note (``note_parts`` of :mod:`capacity.demand.targets`) in ``lang``.

    Each part is ``{"key", "args"}``; an argument that is itself a part is translated in
    turn, ``{"level": name}`` is a level name; the parts are joined without separator.
    """
    def arg(v):
        if isinstance(v, dict) and "key" in v:
            return target_note([v], lang)
        if isinstance(v, dict) and "level" in v:
            return level_name(v["level"], lang)
        return v
    return "".join(tr(p["key"], lang, **{k: arg(v) for k, v in (p.get("args") or {}).items()}) for p in parts)


def _name(table: dict, key, lang: str) -> str:
    entry = table.get(str(key))
    return entry[check_language(lang)] if entry else str(key)


def level_name(level: str, lang: str) -> str:
    """A level's name (``primary`` → ``小学``); unknown levels as given."""
    return _name(LEVEL_NAMES, level, lang)


def action_name(action: str, lang: str) -> str:
    """An action's name (``expand`` → ``扩建``); unknown actions as given."""
    return _name(ACTION_NAMES, action, lang)


def status_name(status: str, lang: str) -> str:
    """A solver status for a reader (``feasible`` → ``可行(未证明最优)``); unknown ones as given."""
    return _name(STATUS_NAMES, status, lang)


def section_name(section: str, lang: str) -> str:
    """A scenario section's name (``demand`` → ``学位需求``); unknown ones as given."""
    return _name(SECTION_NAMES, section, lang)


def column_name(column: str, lang: str) -> str:
    """A column header (``seats`` → ``学位``); unknown columns as given."""
    return _name(COLUMN_NAMES, column, lang)


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def exact(v) -> str:
    """``v`` with thousands separators, two decimals when it has a fraction."""
    v = float(v)
    return f"{v:,.0f}" if v.is_integer() or abs(v) >= 1e4 else f"{v:,.2f}"


def number(v, lang: str) -> str:
    """A number for a reader of ``lang``: ``None``/NaN as ``—``, strings as given.

    Examples
    --------
    >>> number(4_560_000_000, "zh")
    '45.6亿 (4,560,000,000)'
    >>> number(123_456, "zh")
    '12.3万 (123,456)'
    >>> number(4_560_000_000, "en")
    '4,560,000,000'
    >>> number(1234, "zh")
    '1,234'
    """
    check_language(lang)
    if _is_missing(v):
        return "—"
    if isinstance(v, str):
        return v
    v = float(v)
    if lang == "zh" and abs(v) >= 1e4:
        unit, div = ("亿", 1e8) if abs(v) >= 1e8 else ("万", 1e4)
        short = f"{v / div:.3g}"
        if "e" in short:  # ≥ 1000亿: keep all the integer digits
            short = f"{v / div:,.0f}"
        return f"{short}{unit} ({exact(v)})"
    return exact(v)


def share(v, lang: str) -> str:
    """A share (0–1) as a percentage with one decimal; ``None`` as ``—``."""
    check_language(lang)
    return "—" if _is_missing(v) else f"{float(v):.1%}"


def money(v, lang: str) -> str:
    """An amount in CNY: ``45.6亿元 (4,560,000,000)`` / ``4,560,000,000 CNY``."""
    if _is_missing(v):
        return "—"
    if lang == "zh":
        text = number(v, lang)
        head, _, rest = text.partition(" ")
        return f"{head}元 {rest}".strip() if rest else f"{head} 元"
    return f"{number(v, lang)} CNY"
